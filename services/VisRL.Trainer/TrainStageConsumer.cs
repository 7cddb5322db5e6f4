using MassTransit;
using VisRL.Contracts.V1;
using VisRL.Training;

namespace VisRL.Trainer;

/// <summary>
/// TrainStage → the stage runs (resuming the job when it crashed before) → CheckpointReady, with
/// TrainingProgress at every logged step. A stage that cannot run (no pairs, a missing checkpoint,
/// a bad config) ends as TrainingFailed with the reason, and its job row says so.
/// </summary>
public sealed class TrainStageConsumer(TrainStageRunner runner, ILogger<TrainStageConsumer> logger) : IConsumer<TrainStage>
{
    public async Task Consume(ConsumeContext<TrainStage> context)
    {
        var m = context.Message;
        try
        {
            var checkpoint = await Task.Run(() => runner.RunAsync(m, metrics => context.Publish(
                new TrainingProgress(m.JobId, m.RunId, m.IterationId, m.Stage, metrics.Step, metrics.TotalSteps, metrics.Loss)).GetAwaiter().GetResult(),
                context.CancellationToken));
            logger.LogInformation("{Stage} job {JobId}: checkpoint {Hash} at step {Step}", m.Stage, m.JobId, checkpoint.ContentHash[..12], checkpoint.Step);
            await context.Publish(new CheckpointReady(m.JobId, m.RunId, m.IterationId, m.Stage, checkpoint.ContentHash, checkpoint.BlobPrefix, checkpoint.Step));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogError(e, "{Stage} job {JobId} failed: {Reason}", m.Stage, m.JobId, e.Message);
            await context.Publish(new TrainingFailed(m.JobId, m.RunId, m.IterationId, m.Stage, $"{m.Stage}: {e.Message}"));
        }
    }
}
