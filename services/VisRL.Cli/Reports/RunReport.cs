using Microsoft.EntityFrameworkCore;
using VisRL.Contracts.V1;
using VisRL.Modeling;
using VisRL.Platform.Identity;
using VisRL.Platform.Persistence;

namespace VisRL.Cli.Reports;

/// <summary>What a run's report shows: per iteration the evaluated DPO checkpoints and their training curves.</summary>
internal sealed record RunReportData(string RunName, string ConfigJson, IReadOnlyList<ResultRow> Results, IReadOnlyList<JobCurves> Jobs, IReadOnlyList<Guid> IterationIds,
    IReadOnlyList<string> Status);

internal static class RunReport
{
    public static readonly string[] DpoBoxCurves = ["loss", "rewards/margins", "rewards/accuracies"];
    public static readonly string[] DpoAnswerCurves = ["loss", "rewards/margins", "answer/rewards/margins"];

    /// <exception cref="KeyNotFoundException">No such run.</exception>
    public static async Task<RunReportData> CollectAsync(VisRLDbContext db, Guid runId, CancellationToken cancellationToken)
    {
        var run = await db.Runs.AsNoTracking().SingleOrDefaultAsync(r => r.Id == runId, cancellationToken)
            ?? throw new KeyNotFoundException($"run {runId} does not exist");
        var iterations = await db.Iterations.AsNoTracking().Where(i => i.RunId == runId).OrderBy(i => i.Number).ToListAsync(cancellationToken);
        var results = new List<ResultRow>();
        var jobs = new List<JobCurves>();
        foreach (var it in iterations)
        {
            foreach (var (stage, label, checkpoint, curves) in new[]
            {
                (TrainingStage.DpoBox, $"Iter{it.Number} stage 1 (+RL1)", it.BoxCheckpoint, DpoBoxCurves),
                (TrainingStage.DpoBoxAnswer, $"Iter{it.Number} stage 2 (+RL1+RL2)", it.OutputCheckpoint, DpoAnswerCurves),
            })
            {
                jobs.Add(new JobCurves($"Iter{it.Number} DPO stage {(stage == TrainingStage.DpoBox ? 1 : 2)}", WorkflowIds.TrainingJob(it.Id, stage), curves));
                if (checkpoint is null) continue;
                if (await EvaluationAsync(db, WorkflowIds.Evaluation(it.Id, stage), cancellationToken) is { } e)
                    results.Add(e with { Label = label, Checkpoint = checkpoint });
            }
        }
        var status = new List<string> { $"run {run.Name}: {run.Status}, {iterations.Count} of {run.PlannedIterations} iteration(s) started" };
        status.AddRange(iterations.Select(i => $"iteration {i.Number}: {i.State}{(i.FailureReason is { } reason ? $" — {reason}" : "")}"));
        return new RunReportData(run.Name, run.ConfigJson, results, jobs, [.. iterations.Select(i => i.Id)], status);
    }

    /// <summary>The stored overall result of an evaluation, or null while it is not in.</summary>
    public static async Task<ResultRow?> EvaluationAsync(VisRLDbContext db, Guid evaluationId, CancellationToken cancellationToken)
    {
        var row = await db.Evaluations.AsNoTracking().SingleOrDefaultAsync(e => e.EvaluationRunId == evaluationId && e.Family == "all", cancellationToken);
        return row is null ? null : new ResultRow("", row.Checkpoint, row.Mode, evaluationId, row.AnswerAccuracy, row.DetectionAccuracy, row.ItemCount);
    }
}
