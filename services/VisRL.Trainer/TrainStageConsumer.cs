using MassTransit;
using Microsoft.Extensions.Options;
using VisRL.Contracts.V1;
using VisRL.Modeling;
using VisRL.Platform.Checkpoints;
using VisRL.Platform.Configuration;
using VisRL.Platform.Messaging;
using VisRL.Platform.Training;
using VisRL.Training;

namespace VisRL.Trainer;

/// <summary>
/// TrainStage → the stage runs (resuming the job when it crashed before) → CheckpointReady, with
/// TrainingProgress at every logged step. When PostgreSQL or blob storage goes out of reach the job
/// waits (its row says "waiting" and why) and goes on from its last checkpoint once the server is
/// back. A RabbitMQ outage does not stop it: it trains on, and announces its checkpoint once the
/// broker is back. A job runs in one place at a time (its lease in PostgreSQL), so a command handed
/// to another replica meanwhile waits for it. A stage that cannot run (no pairs, a missing
/// checkpoint, a bad config, an outage longer than Messaging:OutagePatienceSeconds) ends as
/// TrainingFailed with the reason, and its job row, created if the job never started, says so.
/// </summary>
public sealed class TrainStageConsumer(TrainStageRunner runner, TrainingJournal journal, IBus bus, IOptions<MessagingOptions> messaging,
    IHostApplicationLifetime lifetime, ILogger<TrainStageConsumer> logger) : IConsumer<TrainStage>
{
    public async Task Consume(ConsumeContext<TrainStage> context)
    {
        var m = context.Message;
        var stage = TrainStageRunner.StageName(m.Stage);
        // Progress is for watchers: sent beside the job, so neither a broker hiccup nor an outage holds a step back or costs the job.
        var progress = new LatestReport<TrainingProgress>(p => bus.Publish(p),
            (p, e) => logger.LogWarning("{Stage} job {JobId}: progress of step {Step} not published: {Reason}", m.Stage, m.JobId, p.Step, e.Message));
        CheckpointRef checkpoint;
        try
        {
            checkpoint = await journal.WaitOutOutagesAsync(m.JobId,
                token => Task.Run(() => runner.RunAsync(m, metrics => progress.Report(
                    new TrainingProgress(m.JobId, m.RunId, m.IterationId, m.Stage, metrics.Step, metrics.TotalSteps, metrics.Loss)), token), token),
                TimeSpan.FromSeconds(messaging.Value.OutagePatienceSeconds),
                (reason, pause) => logger.LogWarning("{Stage} job {JobId} waits for {Reason}; it goes on from its last checkpoint in {Pause} s",
                    m.Stage, m.JobId, reason, pause.TotalSeconds),
                // Not the consume's token: MassTransit cancels that once the broker connection is lost, and a broker
                // outage is no reason to give up steps. The job stops when the service does, and resumes on redelivery.
                lifetime.ApplicationStopping,
                () => logger.LogWarning("{Stage} job {JobId} is running elsewhere (an earlier delivery, or another process); this delivery waits for it",
                    m.Stage, m.JobId));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            progress.Stop();
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
            await bus.AnnounceAsync(new TrainingFailed(m.JobId, m.RunId, m.IterationId, m.Stage, $"{m.Stage}: {e.Message}"), logger, lifetime.ApplicationStopping);
            return;
        }
        progress.Stop();
        logger.LogInformation("{Stage} job {JobId}: checkpoint {Hash} at step {Step}", m.Stage, m.JobId, checkpoint.ContentHash[..12], checkpoint.Step);
        // Outside the try: the job is done and recorded, so failing to announce it is the broker's trouble, not the job's.
        // Should the process die first, the command, delivered again, finds the job done and announces it.
        await bus.AnnounceAsync(new CheckpointReady(m.JobId, m.RunId, m.IterationId, m.Stage, checkpoint.ContentHash, checkpoint.BlobPrefix, checkpoint.Step),
            logger, lifetime.ApplicationStopping);
    }
}
