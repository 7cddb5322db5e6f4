using System.Text.Json;
using VisRL.Contracts.V1;
using VisRL.Data;
using VisRL.Modeling;
using VisRL.Platform.Checkpoints;
using VisRL.Platform.Training;
using VisRL.Torch;

namespace VisRL.Training;

/// <summary>TrainStage.ConfigJson of the supervised stages (base, SFT): what to train on and how.</summary>
public sealed record SupervisedStageSettings(string Dataset, string? Split = null, int? Items = null, ExperimentOptions? Options = null);

/// <summary>
/// Runs a TrainStage command: base or SFT on a stored dataset, or a DPO stage on a pair set. A job
/// that already finished answers with its final checkpoint (a redelivered command trains nothing
/// twice) and its row says completed (the process may have died, or the database gone away, between
/// the checkpoint's publication and the row's update); one that crashed resumes from its last resumable checkpoint.
/// </summary>
public sealed class TrainStageRunner(DatasetStorage storage, CheckpointStore checkpoints, TrainingJournal journal, string workFolder, Device? device = null)
{
    public async Task<CheckpointRef> RunAsync(TrainStage command, Action<TrainingMetrics>? progress = null, CancellationToken cancellationToken = default)
    {
        var stage = StageName(command.Stage);
        if (await checkpoints.LatestOfJobAsync(command.JobId, stage, cancellationToken) is { } done)
        {
            await journal.FinishAsync(command.JobId, cancellationToken: cancellationToken);
            return done;
        }
        if (command.Stage is TrainingStage.DpoBox or TrainingStage.DpoBoxAnswer)
        {
            var settings = Parse<DpoSettings>(command.ConfigJson) ?? new DpoSettings();
            var pairSet = command.PairSetId ?? throw new ArgumentException($"{stage} needs a pair set (TrainStage.PairSetId)");
            return await new PreferenceTraining(storage, checkpoints, journal).RunAsync(new PreferenceRequest(command.JobId, command.RunId, command.IterationId,
                command.Stage, command.StartCheckpoint, pairSet, settings, workFolder, device), progress, cancellationToken);
        }
        var supervised = Parse<SupervisedStageSettings>(command.ConfigJson) ?? throw new ArgumentException($"{stage}: the config must name a dataset");
        var kind = command.Stage == TrainingStage.Base ? TrainingStageKind.Base : TrainingStageKind.Sft;
        var request = new StageRequest(kind, supervised.Dataset, supervised.Split ?? stage, supervised.Items,
            string.IsNullOrEmpty(command.StartCheckpoint) ? null : command.StartCheckpoint, command.JobId, supervised.Options ?? new ExperimentOptions(), workFolder, device);
        return await new StageTraining(storage, checkpoints, journal).RunAsync(request, progress, cancellationToken);
    }

    /// <summary>The checkpoint stage name a training stage publishes under.</summary>
    public static string StageName(TrainingStage stage) => stage switch
    {
        TrainingStage.Base => "base",
        TrainingStage.Sft => "sft",
        _ => PreferenceTraining.StageName(stage),
    };

    private static T? Parse<T>(string json) where T : class
    {
        if (string.IsNullOrWhiteSpace(json)) return null;
        try { return JsonSerializer.Deserialize<T>(json, JsonSerializerOptions.Web); }
        catch (JsonException e) { throw new ArgumentException($"training config is not valid {typeof(T).Name} JSON: {e.Message}", e); }
    }
}
