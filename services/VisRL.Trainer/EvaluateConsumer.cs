using MassTransit;
using Microsoft.Extensions.Options;
using VisRL.Contracts.V1;
using VisRL.Data;
using VisRL.Modeling;
using VisRL.Platform.Configuration;
using VisRL.Platform.Messaging;
using VisRL.Training;

namespace VisRL.Trainer;

/// <summary>
/// Evaluate → answer and detection accuracy stored under the command's id (computed once) →
/// EvaluationCompleted; a checkpoint or dataset that cannot be had, or a server out of reach for longer
/// than Messaging:OutagePatienceSeconds → EvaluationFailed with the reason.
/// </summary>
public sealed class EvaluateConsumer(ModelEvaluation evaluation, IServiceProvider services, IBus bus, IOptions<MessagingOptions> messaging,
    IHostApplicationLifetime lifetime, ILogger<EvaluateConsumer> logger) : IConsumer<Evaluate>
{
    public async Task Consume(ConsumeContext<Evaluate> context)
    {
        var m = context.Message;
        GroupScore result;
        try
        {
            result = await Outages.WaitOutAsync(
                token => Task.Run(() => evaluation.RunOnceAsync(m.EvaluationId, m.Checkpoint, m.Dataset, m.Split, m.ItemLimit,
                    m.ChainOfThought ? Evaluator.Cot : Evaluator.NoCot, TrainingExtensions.WorkFolder(services), token), token),
                TimeSpan.FromSeconds(messaging.Value.OutagePatienceSeconds),
                (reason, pause) =>
                {
                    logger.LogWarning("Evaluation {EvaluationId} waits for {Reason}; it runs again in {Pause} s", m.EvaluationId, reason, pause.TotalSeconds);
                    return Task.CompletedTask;
                },
                lifetime.ApplicationStopping); // as a training job: a lost broker connection does not cancel the work
        }
        catch (Exception e) when (e is KeyNotFoundException or ArgumentException or CheckpointException or DatasetNotFoundException or InvalidOperationException
            or OutageOutlastedException)
        {
            logger.LogError("Evaluation {EvaluationId} of {Checkpoint} failed: {Reason}", m.EvaluationId, m.Checkpoint, e.Message);
            await bus.AnnounceAsync(new EvaluationFailed(m.EvaluationId, m.RunId, m.IterationId, m.Checkpoint, e.Message), logger, lifetime.ApplicationStopping);
            return;
        }
        logger.LogInformation("Checkpoint {Checkpoint} on {Dataset}/{Split}: answer {Answer:P1}, detection {Detection:P1}",
            m.Checkpoint, m.Dataset, m.Split, result.AnswerAccuracy, result.DetectionAccuracy);
        await bus.AnnounceAsync(new EvaluationCompleted(m.EvaluationId, m.RunId, m.IterationId, m.Checkpoint, result.Count,
            result.AnswerAccuracy, result.DetectionAccuracy ?? 0), logger, lifetime.ApplicationStopping);
    }
}
