using MassTransit;
using Microsoft.Extensions.Options;
using VisRL.Contracts.V1;
using VisRL.Modeling;
using VisRL.Platform.Configuration;
using VisRL.Platform.Messaging;
using VisRL.Platform.Training;
using VisRL.Training;

namespace VisRL.Trainer;

/// <summary>
/// TrainStage → the stage runs (resuming the job when it crashed before) → CheckpointReady, with
/// TrainingProgress at every logged step. When PostgreSQL or blob storage goes out of reach the job
/// waits (its row says "waiting" and why) and goes on from its last checkpoint once the server is
/// back. A stage that cannot run (no pairs, a missing checkpoint, a bad config, an outage longer
/// than Messaging:OutagePatienceSeconds) ends as TrainingFailed with the reason, and its job row,
/// created if the job never started, says so.
/// </summary>
public sealed class TrainStageConsumer(TrainStageRunner runner, TrainingJournal journal, IOptions<MessagingOptions> messaging,
    ILogger<TrainStageConsumer> logger) : IConsumer<TrainStage>
{
    public async Task Consume(ConsumeContext<TrainStage> context)
    {
        var m = context.Message;
        var stage = TrainStageRunner.StageName(m.Stage);
        try
        {
            var checkpoint = await journal.WaitOutOutagesAsync(m.JobId,
                token => Task.Run(() => runner.RunAsync(m, metrics => Progress(context, metrics), token), token),
                TimeSpan.FromSeconds(messaging.Value.OutagePatienceSeconds),
                (reason, pause) => logger.LogWarning("{Stage} job {JobId} waits for {Reason}; it goes on from its last checkpoint in {Pause} s",
                    m.Stage, m.JobId, reason, pause.TotalSeconds),
                context.CancellationToken);
            logger.LogInformation("{Stage} job {JobId}: checkpoint {Hash} at step {Step}", m.Stage, m.JobId, checkpoint.ContentHash[..12], checkpoint.Step);
            await context.Publish(new CheckpointReady(m.JobId, m.RunId, m.IterationId, m.Stage, checkpoint.ContentHash, checkpoint.BlobPrefix, checkpoint.Step));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogError(e, "{Stage} job {JobId} failed: {Reason}", m.Stage, m.JobId, e.Message);
            try
            {
                await journal.FailAsync(m.JobId, stage, e.Message, string.IsNullOrEmpty(m.StartCheckpoint) ? null : m.StartCheckpoint,
                    m.IterationId is null ? null : m.RunId, m.IterationId, m.PairSetId, CancellationToken.None);
            }
            catch (Exception journalError) when (Outages.Reason(journalError) is not null)
            {
                logger.LogError("{Stage} job {JobId}: its failure is not recorded in training_jobs: {Reason}", m.Stage, m.JobId, journalError.Message);
            }
            await context.Publish(new TrainingFailed(m.JobId, m.RunId, m.IterationId, m.Stage, $"{m.Stage}: {e.Message}"));
        }
    }

    // Progress is for watchers; a broker hiccup must not cost the job.
    private void Progress(ConsumeContext<TrainStage> context, TrainingMetrics metrics)
    {
        var m = context.Message;
        try
        {
            context.Publish(new TrainingProgress(m.JobId, m.RunId, m.IterationId, m.Stage, metrics.Step, metrics.TotalSteps, metrics.Loss)).GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogWarning("{Stage} job {JobId}: progress of step {Step} not published: {Reason}", m.Stage, m.JobId, metrics.Step, e.Message);
        }
    }
}
