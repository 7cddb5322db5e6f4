using System.Text.Json;
using VisRL.Data;
using VisRL.Modeling;
using VisRL.Platform.Checkpoints;
using VisRL.Platform.Training;

namespace VisRL.Training;

/// <summary>
/// Trains M_org (base, no CoT, a reading curriculum then all zoom levels) or the SFT policy (two-turn,
/// from a base checkpoint) on a stored dataset. Metrics go to the job's rows in PostgreSQL; resumable
/// checkpoints (weights + AdamW state + step) go to blob storage every N steps, and the job resumes
/// from the newest one when run again; the final model is published by content hash.
/// </summary>
public sealed class StageTraining(DatasetStorage storage, CheckpointStore checkpoints, TrainingJournal journal)
{
    public async Task<CheckpointRef> RunAsync(StageRequest request, Action<TrainingMetrics>? progress = null,
        CancellationToken cancellationToken = default)
    {
        var o = request.Options;
        var stage = request.Stage == TrainingStageKind.Base ? "base" : "sft";
        var phases = request.Stage == TrainingStageKind.Base
            ? new[] { o.Vision with { Phase = "vision" }, o.BaseReading with { Phase = "base-reading" }, o.Base with { Phase = "base" } }.Where(p => p.Steps > 0).ToArray()
            : [o.Sft with { Phase = "sft" }];
        var configJson = JsonSerializer.Serialize(new { stage, request.Dataset, request.Split, request.Items, request.StartCheckpoint, options = o });
        await journal.StartAsync(request.JobId, stage, configJson, phases.Sum(p => p.Steps), request.StartCheckpoint, cancellationToken: cancellationToken);
        try
        {
            var scenes = await SceneLoader.LoadAsync(storage, request.Dataset, request.Split, request.Items, requireBoxes: true, cancellationToken);
            CheckpointRef? parent = null;
            VisRLTiny model;
            if (request.Stage == TrainingStageKind.Base) model = VisRLTiny.Create(o.Model, seed: o.InitSeed);
            else
            {
                parent = await ResolveStartAsync(request.StartCheckpoint, cancellationToken);
                model = ModelCheckpoint.Load(await checkpoints.FetchAsync(parent, Path.Combine(request.WorkFolder, "cache"), cancellationToken));
            }
            using (model)
            {
                int offset = 0;
                foreach (var phase in phases)
                {
                    if (phase.Phase == "vision")
                    {
                        // Short, so it has no resumable checkpoints of its own: a job that already has a
                        // later phase's checkpoint is past it (that checkpoint holds its weights) and skips it.
                        offset += phase.Steps;
                        if (await PastVisionStageAsync(request.JobId, phases, cancellationToken)) continue;
                        offset -= phase.Steps;
                        var views = VisionPretraining.Examples(model.Protocol, [.. scenes.Take(o.VisionItems)], 3);
                        var visionOffset = offset;
                        VisionPretraining.Run(model, phase, views, m =>
                        {
                            journal.RecordAsync(request.JobId, visionOffset + m.Step, new Dictionary<string, double>
                            {
                                [$"{m.Phase}/loss"] = m.Loss, [$"{m.Phase}/lr"] = m.LearningRate, [$"{m.Phase}/grad_norm"] = m.GradNorm,
                                [$"{m.Phase}/samples_per_second"] = m.SamplesPerSecond,
                            }, cancellationToken).GetAwaiter().GetResult();
                            progress?.Invoke(m);
                        }, cancellationToken);
                        offset += phase.Steps;
                        continue;
                    }
                    var examples = phase.Phase switch
                    {
                        "base-reading" => SyntheticData.BaseExamples(model.Protocol, scenes, 1, legibleOnly: true),
                        "base" => SyntheticData.BaseExamples(model.Protocol, scenes, 1),
                        _ => SyntheticData.SftExamples(model.Protocol, scenes, 2),
                    };
                    var root = Path.Combine(request.WorkFolder, request.JobId.ToString("N"), phase.Phase);
                    await RestoreLatestAsync(request.JobId, phase.Phase, root, cancellationToken);
                    var stepOffset = offset;
                    new Trainer(model, phase with { CheckpointEvery = phase.CheckpointEvery > 0 ? phase.CheckpointEvery : Math.Max(1, phase.Steps / 4) }, examples)
                    {
                        CheckpointRoot = root,
                        OnMetrics = m =>
                        {
                            journal.RecordAsync(request.JobId, stepOffset + m.Step, new Dictionary<string, double>
                            {
                                [$"{m.Phase}/loss"] = m.Loss, [$"{m.Phase}/lr"] = m.LearningRate, [$"{m.Phase}/grad_norm"] = m.GradNorm,
                                [$"{m.Phase}/samples_per_second"] = m.SamplesPerSecond,
                            }, cancellationToken).GetAwaiter().GetResult();
                            progress?.Invoke(m);
                        },
                        OnCheckpoint = c => checkpoints.PublishAsync(c.Folder, c.ContentHash, $"{c.Phase}-resume", c.Step,
                            trainingJobId: request.JobId, cancellationToken: cancellationToken).GetAwaiter().GetResult(),
                    }.Run(cancellationToken);
                    offset += phase.Steps;
                }

                var final = Path.Combine(request.WorkFolder, request.JobId.ToString("N"), "final");
                if (Directory.Exists(final)) Directory.Delete(final, recursive: true);
                var hash = ModelCheckpoint.Save(model, final);
                var published = await checkpoints.PublishAsync(final, hash, stage, offset, parent?.Id, request.JobId,
                    JsonSerializer.Serialize(o.Model), cancellationToken);
                await journal.FinishAsync(request.JobId, cancellationToken: cancellationToken);
                return published;
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            await journal.FinishAsync(request.JobId, e.Message, CancellationToken.None);
            throw;
        }
    }

    private async Task<bool> PastVisionStageAsync(Guid jobId, IEnumerable<TrainerConfig> phases, CancellationToken cancellationToken)
    {
        foreach (var later in phases.Where(p => p.Phase != "vision"))
            if (await checkpoints.LatestOfJobAsync(jobId, $"{later.Phase}-resume", cancellationToken) is not null) return true;
        return false;
    }

    private async Task<CheckpointRef> ResolveStartAsync(string? reference, CancellationToken cancellationToken) =>
        reference is not null ? await checkpoints.ResolveAsync(reference, cancellationToken)
        : await checkpoints.LatestAsync("base", cancellationToken)
          ?? throw new InvalidOperationException("no base checkpoint to start SFT from: train one with `visrl train base`, or pass --from");

    /// <summary>Puts the job's newest resumable checkpoint of this phase where the Trainer looks for it.</summary>
    private async Task RestoreLatestAsync(Guid jobId, string phase, string root, CancellationToken cancellationToken)
    {
        var latest = await checkpoints.LatestOfJobAsync(jobId, $"{phase}-resume", cancellationToken);
        if (latest is null) return;
        var target = Path.Combine(root, $"step-{latest.Step:D6}");
        if (Directory.Exists(target)) return;
        var fetched = await checkpoints.FetchAsync(latest, Path.Combine(root, "..", "cache"), cancellationToken);
        Directory.CreateDirectory(root);
        CopyFolder(fetched, target);
    }

    private static void CopyFolder(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from)) File.Copy(file, Path.Combine(to, Path.GetFileName(file)), overwrite: true);
    }
}
