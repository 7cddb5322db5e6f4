using System.Text;
using Microsoft.EntityFrameworkCore;
using VisRL.Platform.Persistence.Entities;

namespace VisRL.Platform.Persistence;

/// <summary>
/// The workflow's tables. Column names are snake_case so that SQL written by hand (views, psql
/// queries in the README) reads naturally. The unique keys are what make consumers idempotent.
/// </summary>
public sealed class VisRLDbContext(DbContextOptions<VisRLDbContext> options) : DbContext(options)
{
    public DbSet<Dataset> Datasets => Set<Dataset>();
    public DbSet<Item> Items => Set<Item>();
    public DbSet<Run> Runs => Set<Run>();
    public DbSet<Iteration> Iterations => Set<Iteration>();
    public DbSet<IterationResumeRequest> IterationResumeRequests => Set<IterationResumeRequest>();
    public DbSet<Batch> Batches => Set<Batch>();
    public DbSet<Candidate> Candidates => Set<Candidate>();
    public DbSet<Score> Scores => Set<Score>();
    public DbSet<PairSet> PairSets => Set<PairSet>();
    public DbSet<Pair> Pairs => Set<Pair>();
    public DbSet<Checkpoint> Checkpoints => Set<Checkpoint>();
    public DbSet<TrainingJob> TrainingJobs => Set<TrainingJob>();
    public DbSet<TrainingMetric> TrainingMetrics => Set<TrainingMetric>();
    public DbSet<ReferenceLogProb> ReferenceLogProbs => Set<ReferenceLogProb>();
    public DbSet<Evaluation> Evaluations => Set<Evaluation>();
    public DbSet<EvaluationItem> EvaluationItems => Set<EvaluationItem>();
    public DbSet<WorkFailure> WorkFailures => Set<WorkFailure>();
    public DbSet<OutboxMessage> OutboxMessages => Set<OutboxMessage>();
    public DbSet<Probe> Probes => Set<Probe>();

    protected override void OnModelCreating(ModelBuilder model)
    {
        model.Entity<Dataset>().HasIndex(d => d.Name).IsUnique();

        model.Entity<Item>(e =>
        {
            e.HasIndex(i => new { i.DatasetId, i.Split, i.Ordinal }).IsUnique();
            e.HasOne<Dataset>().WithMany().HasForeignKey(i => i.DatasetId);
        });

        model.Entity<Iteration>(e =>
        {
            e.Ignore(i => i.CorrelationId);
            e.HasIndex(i => new { i.RunId, i.Number }).IsUnique();
            e.HasOne<Run>().WithMany().HasForeignKey(i => i.RunId);
            e.HasOne<Dataset>().WithMany().HasForeignKey(i => i.DatasetId).OnDelete(DeleteBehavior.Restrict);
            e.Property(i => i.Version).IsRowVersion().HasColumnName("xmin"); // PostgreSQL's row version
        });

        model.Entity<IterationResumeRequest>().HasOne<Iteration>().WithMany().HasForeignKey(r => r.IterationId).OnDelete(DeleteBehavior.Cascade);

        model.Entity<Batch>(e =>
        {
            e.HasIndex(b => new { b.IterationId, b.Stage, b.Ordinal }).IsUnique();
            e.HasOne<Iteration>().WithMany().HasForeignKey(b => b.IterationId);
        });

        model.Entity<Candidate>(e =>
        {
            e.HasIndex(c => new { c.IterationId, c.ItemId, c.Attempt, c.Kind }).IsUnique();
            e.HasOne<Iteration>().WithMany().HasForeignKey(c => c.IterationId);
            e.HasOne<Item>().WithMany().HasForeignKey(c => c.ItemId);
        });

        model.Entity<Score>(e =>
        {
            e.HasIndex(s => new { s.CandidateId, s.JudgeId }).IsUnique();
            e.HasOne<Candidate>().WithMany().HasForeignKey(s => s.CandidateId);
        });

        model.Entity<PairSet>(e =>
        {
            e.HasIndex(p => new { p.IterationId, p.Name }).IsUnique();
            e.HasOne<Iteration>().WithMany().HasForeignKey(p => p.IterationId);
        });

        model.Entity<Pair>(e =>
        {
            e.HasIndex(p => new { p.PairSetId, p.ItemId, p.Ordinal }).IsUnique();
            e.HasOne<PairSet>().WithMany().HasForeignKey(p => p.PairSetId);
            e.HasOne<Item>().WithMany().HasForeignKey(p => p.ItemId);
            e.HasOne<Candidate>().WithMany().HasForeignKey(p => p.ChosenCandidateId).OnDelete(DeleteBehavior.Restrict);
            e.HasOne<Candidate>().WithMany().HasForeignKey(p => p.RejectedCandidateId).OnDelete(DeleteBehavior.Restrict);
        });

        model.Entity<Checkpoint>(e =>
        {
            e.HasIndex(c => c.ContentHash).IsUnique();
            e.HasOne<Checkpoint>().WithMany().HasForeignKey(c => c.ParentId);
        });

        model.Entity<TrainingMetric>(e =>
        {
            e.HasIndex(m => new { m.TrainingJobId, m.Step, m.Name }).IsUnique();
            e.HasOne<TrainingJob>().WithMany().HasForeignKey(m => m.TrainingJobId);
        });

        model.Entity<ReferenceLogProb>(e =>
        {
            e.HasIndex(r => new { r.TrainingJobId, r.PairId, r.Term }).IsUnique();
            e.HasOne<TrainingJob>().WithMany().HasForeignKey(r => r.TrainingJobId);
            e.HasOne<Pair>().WithMany().HasForeignKey(r => r.PairId);
        });

        model.Entity<Evaluation>(e =>
        {
            e.HasIndex(x => new { x.EvaluationRunId, x.Family }).IsUnique();
            e.HasOne<Dataset>().WithMany().HasForeignKey(x => x.DatasetId).OnDelete(DeleteBehavior.Restrict);
        });

        model.Entity<EvaluationItem>().HasIndex(x => new { x.EvaluationRunId, x.Position }).IsUnique();

        model.Entity<WorkFailure>().HasIndex(f => new { f.IterationId, f.ItemId, f.Stage }).IsUnique();
        model.Entity<OutboxMessage>().Property(m => m.CreatedAt).HasDefaultValueSql("now()");

        foreach (var entity in model.Model.GetEntityTypes())
        {
            foreach (var property in entity.GetProperties())
            {
                if (property.Name.EndsWith("Json", StringComparison.Ordinal)) property.SetColumnType("jsonb");
            }
        }
        UseSnakeCaseNames(model);
    }

    private static void UseSnakeCaseNames(ModelBuilder model)
    {
        foreach (var entity in model.Model.GetEntityTypes())
        {
            entity.SetTableName(ToSnakeCase(entity.GetTableName()!));
            foreach (var property in entity.GetProperties())
            {
                if (property.GetColumnName() == "xmin") continue;
                property.SetColumnName(ToSnakeCase(property.Name));
            }
            foreach (var key in entity.GetKeys()) key.SetName(ToSnakeCase(key.GetName()!));
            foreach (var fk in entity.GetForeignKeys()) fk.SetConstraintName(ToSnakeCase(fk.GetConstraintName()!));
            foreach (var index in entity.GetIndexes()) index.SetDatabaseName(ToSnakeCase(index.GetDatabaseName()!));
        }
    }

    /// <summary>"TrainingJobId" → "training_job_id", "PK_Items" → "pk_items".</summary>
    public static string ToSnakeCase(string name)
    {
        var sb = new StringBuilder(name.Length + 8);
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (char.IsUpper(c))
            {
                var previous = i > 0 ? name[i - 1] : '_';
                if (i > 0 && previous != '_' && (char.IsLower(previous) || char.IsDigit(previous)
                    || i + 1 < name.Length && char.IsLower(name[i + 1])))
                    sb.Append('_');
                sb.Append(char.ToLowerInvariant(c));
            }
            else sb.Append(c);
        }
        return sb.ToString();
    }
}
