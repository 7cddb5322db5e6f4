using System.Text.Json;
using VisRL.Contracts.V1;
using VisRL.Data;
using VisRL.Modeling;
using VisRL.Platform.Checkpoints;
using VisRL.Platform.Messaging;
using VisRL.Platform.Training;
using VisRL.Torch;

namespace VisRL.Training;

/// <summary>One DPO stage on a pair set, from a stored checkpoint. Running the same job again resumes it.</summary>
public sealed record PreferenceRequest(
    Guid JobId,
    Guid? RunId,
    Guid? IterationId,
    TrainingStage Stage,
    string StartCheckpoint,
    Guid PairSetId,
    DpoSettings Settings,
    string WorkFolder,
    Device? Device = null);

/// <summary>
/// Step-level DPO (DESIGN.md §1) as a stored job: loads the pair set and the start policy, takes the
/// reference from the start policy (log-probs precomputed once and stored in `reference_log_probs`,
/// or a frozen copy), trains with AdamW and a cosine schedule, records TRL-style metrics per logged
/// step in `training_metrics`, publishes resumable checkpoints (weights + optimizer state) every N
/// steps, and publishes the final policy by content hash with the start checkpoint as its parent.
/// </summary>
public sealed class PreferenceTraining(DatasetStorage storage, CheckpointStore checkpoints, TrainingJournal journal)
{
    /// <summary>The checkpoint stage name of a DPO stage.</summary>
    public static string StageName(TrainingStage stage) => stage switch
    {
        TrainingStage.DpoBox => "dpo-box",
        TrainingStage.DpoBoxAnswer => "dpo-box-answer",
        _ => throw new ArgumentException($"{stage} is not a DPO stage"),
    };

    public async Task<CheckpointRef> RunAsync(PreferenceRequest request, Action<TrainingMetrics>? progress = null, CancellationToken cancellationToken = default)
    {
        var stage = StageName(request.Stage);
        var s = request.Settings.Validate("DPO settings");
        var start = await checkpoints.ResolveAsync(request.StartCheckpoint, cancellationToken);
        var pinned = await journal.PinnedPairsAsync(request.JobId, cancellationToken); // a resumed job goes on with the pairs it started on
        var (pairIds, pairs, skipped) = await PreferencePairs.LoadAsync(storage, request.PairSetId, pinned, cancellationToken);
        var config = TrainerConfigFor(stage, s, pairs.Count);
        await journal.StartAsync(request.JobId, stage, JsonSerializer.Serialize(new { stage, start = start.ContentHash, request.PairSetId, pairs = pairs.Count,
                skippedItems = skipped.Select(f => new { item = f.ItemId, reason = f.Reason }), settings = s, trainer = config }),
            config.Steps, start.ContentHash, request.RunId, request.IterationId, request.PairSetId, TrainingMachine.Current(request.Device).ToJson(),
            pairIds, cancellationToken);
        try
        {
            var startFolder = await checkpoints.FetchAsync(start, Path.Combine(request.WorkFolder, "cache"), cancellationToken);
            using var policy = ModelCheckpoint.Load(startFolder, request.Device);
            using var frozen = s.Reference == "frozen" ? ModelCheckpoint.Load(startFolder, request.Device) : null;
            var dpo = new DpoConfig { Beta = s.Beta, WithAnswer = request.Stage == TrainingStage.DpoBoxAnswer, BoxWeight = s.BoxWeight, AnswerWeight = s.AnswerWeight, SftWeight = s.SftWeight,
                RejectedAnswerUnderChosenBox = s.RejectedAnswerContext == "chosen" };
            // Made before the Trainer resumes: the reference is the start policy, whatever step the job resumes at. A
            // precomputed one is stored by the job's first start and read back by every later one, on whichever machine.
            var stored = frozen is null ? await journal.LoadReferenceAsync(request.JobId, pairIds, cancellationToken) : null;
            var objective = new PreferenceObjective(policy, pairs, dpo, frozen, stored);
            if (stored is null && objective.ReferenceLogProbs is { } reference)
                await journal.StoreReferenceAsync(request.JobId, pairIds, reference, cancellationToken);
            var resume = new ResumePoints(checkpoints, journal, request.JobId, request.WorkFolder);
            var result = new Trainer(policy, config, objective)
            {
                CheckpointRoot = await resume.RestoreAsync(stage, cancellationToken),
                OnMetrics = m =>
                {
                    var values = new Dictionary<string, double>(m.Values) { ["loss"] = m.Loss, ["learning_rate"] = m.LearningRate, ["grad_norm"] = m.GradNorm };
                    journal.RecordAsync(request.JobId, m.Step, values, cancellationToken).GetAwaiter().GetResult();
                    progress?.Invoke(m);
                },
                OnCheckpoint = c => resume.Publish(c, cancellationToken),
            }.Run(cancellationToken);
            if (result.ResumedFromStep > 0) // where a crashed job went on from: visible in SQL
                await journal.RecordAsync(request.JobId, result.ResumedFromStep, new Dictionary<string, double> { ["resumed_from_step"] = result.ResumedFromStep }, cancellationToken);

            var final = resume.FinalFolder();
            var hash = ModelCheckpoint.Save(policy, final);
            var published = await checkpoints.PublishAsync(final, hash, stage, config.Steps, start.Id, request.JobId,
                policy.Config.ToJson(), cancellationToken);
            await journal.FinishAsync(request.JobId, cancellationToken: cancellationToken);
            return published;
        }
        // An outage (database, blob storage) is not the job's failure: it resumes once the server is back.
        catch (Exception e) when (e is not OperationCanceledException && Outages.Reason(e) is null)
        {
            await journal.FinishAsync(request.JobId, e.Message, CancellationToken.None);
            throw;
        }
    }

    /// <summary>Steps = ⌈epochs × pairs / (batch × accumulation)⌉, warmup a share of them.</summary>
    public static TrainerConfig TrainerConfigFor(string stage, DpoSettings s, int pairCount)
    {
        int steps = Math.Max(1, (int)Math.Ceiling(s.Epochs * pairCount / (s.BatchSize * (double)s.GradAccumulation)));
        return new TrainerConfig
        {
            Phase = stage, LearningRate = s.LearningRate, Steps = steps, WarmupSteps = (int)Math.Round(s.WarmupRatio * steps),
            MinLearningRateRatio = s.Schedule == "constant" ? 1.0 : 0.05,
            BatchSize = s.BatchSize, GradAccumulation = s.GradAccumulation, ClipNorm = s.ClipNorm, Seed = s.Seed, WeightDecay = 0,
            LogEvery = 1, // TRL-style metrics for every optimizer step: DPO stages are short, and their curves are what one reads
            CheckpointEvery = s.CheckpointEvery > 0 ? s.CheckpointEvery : Math.Max(1, steps / 4),
        };
    }
}
