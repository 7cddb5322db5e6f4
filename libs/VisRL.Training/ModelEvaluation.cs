using Microsoft.EntityFrameworkCore;
using VisRL.Data;
using VisRL.Modeling;
using VisRL.Platform.Checkpoints;
using VisRL.Platform.Persistence.Entities;
using VisRL.Torch;

namespace VisRL.Training;

/// <summary>
/// Visual-CoT-style evaluation of a stored checkpoint on a stored split: answer accuracy (normalized
/// exact match) and detection accuracy (IoU &gt; 0.5 with the hidden GT box; an unparseable box is a
/// miss), overall and per question family, for the two-turn CoT protocol and/or the direct (no-CoT)
/// one. Each report is stored in `evaluations`, one row per family and "all", and each item's
/// outcome in `evaluation_items` (for paired comparisons).
/// </summary>
public sealed class ModelEvaluation(DatasetStorage storage, CheckpointStore checkpoints, Device? device = null)
{
    public async Task<IReadOnlyList<EvaluationReport>> RunAsync(string checkpoint, string dataset, string split, int? items,
        IReadOnlyList<string> modes, string cacheFolder, CancellationToken cancellationToken = default) =>
        await RunAsync(checkpoint, dataset, split, items, [.. modes.Select(m => (m, Guid.NewGuid()))], cacheFolder, cancellationToken);

    /// <summary>
    /// One mode under a given evaluation id (the Evaluate command's): when rows for that id exist,
    /// the stored overall result is returned and nothing is computed again.
    /// </summary>
    public async Task<GroupScore> RunOnceAsync(Guid evaluationId, string checkpoint, string dataset, string split, int? items, string mode,
        string cacheFolder, CancellationToken cancellationToken = default)
    {
        await using (var db = storage.CreateDb())
        {
            var stored = await db.Evaluations.AsNoTracking().Where(e => e.EvaluationRunId == evaluationId && e.Family == "all").SingleOrDefaultAsync(cancellationToken);
            if (stored is not null) return new GroupScore("all", stored.ItemCount, stored.AnswerAccuracy, stored.DetectionAccuracy);
        }
        return (await RunAsync(checkpoint, dataset, split, items, [(mode, evaluationId)], cacheFolder, cancellationToken))[0].Overall;
    }

    private async Task<IReadOnlyList<EvaluationReport>> RunAsync(string checkpoint, string dataset, string split, int? items,
        IReadOnlyList<(string Mode, Guid EvaluationId)> runs, string cacheFolder, CancellationToken cancellationToken)
    {
        var reference = await checkpoints.ResolveAsync(checkpoint, cancellationToken);
        using var model = ModelCheckpoint.Load(await checkpoints.FetchAsync(reference, cacheFolder, cancellationToken), device);
        var scenes = await SceneLoader.LoadAsync(storage, dataset, split, items, requireBoxes: false, cancellationToken);
        var reports = runs.Select(r => Evaluator.Score(r.Mode, r.Mode == Evaluator.Cot ? Evaluator.PredictCot(model, scenes) : Evaluator.PredictNoCot(model, scenes)))
            .ToList();

        await using var db = storage.CreateDb();
        var datasetId = await db.Datasets.Where(d => d.Name == dataset).Select(d => d.Id).SingleAsync(cancellationToken);
        var now = DateTimeOffset.UtcNow;
        foreach (var (report, runId) in reports.Zip(runs.Select(r => r.EvaluationId)))
        {
            db.Evaluations.AddRange(new[] { report.Overall }.Concat(report.Families).Select(g => new Evaluation
            {
                EvaluationRunId = runId, Checkpoint = reference.ContentHash, DatasetId = datasetId, Split = split, Mode = report.Mode,
                Family = g.Group, ItemCount = g.Count, AnswerAccuracy = g.AnswerAccuracy, DetectionAccuracy = g.DetectionAccuracy, CreatedAt = now,
            }));
            db.EvaluationItems.AddRange(report.Items.Select(i => new EvaluationItem
            {
                EvaluationRunId = runId, Position = i.Position, Family = i.Family, AnswerCorrect = i.AnswerCorrect, DetectionHit = i.DetectionHit,
            }));
        }
        await db.SaveChangesAsync(cancellationToken);
        return reports;
    }
}
