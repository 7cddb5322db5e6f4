using System.Text.Json;
using VisRL.Data;
using VisRL.Modeling;
using VisRL.Platform.Checkpoints;
using VisRL.Platform.Messaging;
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
            : new[] { o.Focus with { Phase = "focus" }, o.Sft with { Phase = "sft" } }.Where(p => p.Steps > 0).ToArray();
        var configJson = JsonSerializer.Serialize(new { stage, request.Dataset, request.Split, request.Items, request.StartCheckpoint, options = o });
        await journal.StartAsync(request.JobId, stage, configJson, phases.Sum(p => p.Steps), request.StartCheckpoint,
            machineJson: TrainingMachine.Current(request.Device).ToJson(), cancellationToken: cancellationToken);
        try
        {
            var scenes = await SceneLoader.LoadAsync(storage, request.Dataset, request.Split, request.Items, requireBoxes: true, cancellationToken);
            CheckpointRef? parent = null;
            VisRLTiny model;
            if (request.Stage == TrainingStageKind.Base)
            {
                model = VisRLTiny.Create(o.Model, seed: o.InitSeed);
                if (request.Device is { } device) model.Model.to(device);
            }
            else
            {
                parent = await ResolveStartAsync(request.StartCheckpoint, cancellationToken);
                model = ModelCheckpoint.Load(await checkpoints.FetchAsync(parent, Path.Combine(request.WorkFolder, "cache"), cancellationToken), request.Device);
            }
            using (model)
            {
                var resume = new ResumePoints(checkpoints, journal, request.JobId, request.WorkFolder);
                int offset = 0;
                // Metrics to the job's rows (steps counted across phases) and to the caller's progress.
                Action<TrainingMetrics> Record(int stepOffset) => m =>
                {
                    var values = new Dictionary<string, double>
                    {
                        [$"{m.Phase}/loss"] = m.Loss, [$"{m.Phase}/lr"] = m.LearningRate, [$"{m.Phase}/grad_norm"] = m.GradNorm,
                        [$"{m.Phase}/samples_per_second"] = m.SamplesPerSecond,
                    };
                    foreach (var (name, value) in m.Values) values[name] = value;
                    journal.RecordAsync(request.JobId, stepOffset + m.Step, values, cancellationToken).GetAwaiter().GetResult();
                    progress?.Invoke(m);
                };
                foreach (var phase in phases)
                {
                    if (phase.Phase is "vision" or "focus")
                    {
                        // Short, so they have no resumable checkpoints of their own: a job that already has a
                        // later phase's checkpoint is past them (that checkpoint holds their weights) and skips them.
                        if (await PastPhaseAsync(request.JobId, phases, phase.Phase, cancellationToken) || (phase.Phase == "focus" && model.Config.FocusDim == 0))
                        {
                            offset += phase.Steps;
                            continue;
                        }
                        if (phase.Phase == "vision")
                            VisionPretraining.Run(model, phase, VisionPretraining.Examples(model.Protocol, [.. scenes.Take(o.VisionItems)], 3), Record(offset), cancellationToken);
                        else
                            FocusTraining.Run(model, phase, FocusTraining.Examples(model.Protocol, scenes, o.MirrorScenes), Record(offset), cancellationToken);
                        offset += phase.Steps;
                        continue;
                    }
                    var examples = phase.Phase switch
                    {
                        "base-reading" => SyntheticData.BaseExamples(model.Protocol, scenes, 1, legibleOnly: true),
                        "base" => SyntheticData.BaseExamples(model.Protocol, scenes, 1),
                        _ => SyntheticData.SftExamples(model.Protocol, scenes, 2, o.MirrorScenes),
                    };
                    var root = await resume.RestoreAsync(phase.Phase, cancellationToken);
                    var objective = phase.Phase == "sft" ? Experiments.SftObjective(model, o, examples) : new SequenceObjective(model, examples);
                    new Trainer(model, phase with { CheckpointEvery = phase.CheckpointEvery > 0 ? phase.CheckpointEvery : Math.Max(1, phase.Steps / 4) }, objective)
                    {
                        CheckpointRoot = root,
                        OnMetrics = Record(offset),
                        OnCheckpoint = c => resume.Publish(c, cancellationToken),
                    }.Run(cancellationToken);
                    offset += phase.Steps;
                }

                var final = resume.FinalFolder();
                var hash = ModelCheckpoint.Save(model, final);
                var published = await checkpoints.PublishAsync(final, hash, stage, offset, parent?.Id, request.JobId,
                    JsonSerializer.Serialize(o.Model), cancellationToken);
                await journal.FinishAsync(request.JobId, cancellationToken: cancellationToken);
                return published;
            }
        }
        // An outage (database, blob storage) is not the job's failure: it resumes once the server is back.
        catch (Exception e) when (e is not OperationCanceledException && Outages.Reason(e) is null)
        {
            await journal.FinishAsync(request.JobId, e.Message, CancellationToken.None);
            throw;
        }
    }

    private async Task<bool> PastPhaseAsync(Guid jobId, IEnumerable<TrainerConfig> phases, string phase, CancellationToken cancellationToken)
    {
        foreach (var later in phases.SkipWhile(p => p.Phase != phase).Skip(1))
            if (await checkpoints.LatestOfJobAsync(jobId, $"{later.Phase}-resume", cancellationToken) is not null) return true;
        return false;
    }

    private async Task<CheckpointRef> ResolveStartAsync(string? reference, CancellationToken cancellationToken) =>
        reference is not null ? await checkpoints.ResolveAsync(reference, cancellationToken)
        : await checkpoints.LatestAsync("base", cancellationToken)
          ?? throw new InvalidOperationException("no base checkpoint to start SFT from: train one with `visrl train base`, or pass --from");
}
