using Microsoft.EntityFrameworkCore;
using VisRL.Data;
using VisRL.Modeling;
using VisRL.Platform.Checkpoints;
using VisRL.Platform.Persistence.Entities;

namespace VisRL.Training;

/// <summary>
/// Visual-CoT-style evaluation of a stored checkpoint on a stored split: answer accuracy (normalized
/// exact match) and detection accuracy (IoU &gt; 0.5 with the hidden GT box; an unparseable box is a
/// miss), overall and per question family, for the two-turn CoT protocol and/or the direct (no-CoT)
/// one. Each report is stored in `evaluations`, one row per family and "all".
/// </summary>
public sealed class ModelEvaluation(DatasetStorage storage, CheckpointStore checkpoints)
{
    public async Task<IReadOnlyList<EvaluationReport>> RunAsync(string checkpoint, string dataset, string split, int? items,
        IReadOnlyList<string> modes, string cacheFolder, CancellationToken cancellationToken = default)
    {
        var reference = await checkpoints.ResolveAsync(checkpoint, cancellationToken);
        using var model = ModelCheckpoint.Load(await checkpoints.FetchAsync(reference, cacheFolder, cancellationToken));
        var scenes = await SceneLoader.LoadAsync(storage, dataset, split, items, requireBoxes: false, cancellationToken);
        var reports = modes.Select(mode => Evaluator.Score(mode, mode == Evaluator.Cot ? Evaluator.PredictCot(model, scenes) : Evaluator.PredictNoCot(model, scenes)))
            .ToList();

        await using var db = storage.CreateDb();
        var datasetId = await db.Datasets.Where(d => d.Name == dataset).Select(d => d.Id).SingleAsync(cancellationToken);
        var now = DateTimeOffset.UtcNow;
        foreach (var report in reports)
        {
            var runId = Guid.NewGuid();
            db.Evaluations.AddRange(new[] { report.Overall }.Concat(report.Families).Select(g => new Evaluation
            {
                EvaluationRunId = runId, Checkpoint = reference.ContentHash, DatasetId = datasetId, Split = split, Mode = report.Mode,
                Family = g.Group, ItemCount = g.Count, AnswerAccuracy = g.AnswerAccuracy, DetectionAccuracy = g.DetectionAccuracy, CreatedAt = now,
            }));
        }
        await db.SaveChangesAsync(cancellationToken);
        return reports;
    }
}
