using MassTransit;
using VisRL.Contracts.V1;
using VisRL.Data;
using VisRL.Modeling;
using VisRL.Training;

namespace VisRL.Trainer;

/// <summary>
/// Evaluate → answer and detection accuracy stored under the command's id (computed once) →
/// EvaluationCompleted; a checkpoint or dataset that cannot be had → EvaluationFailed with the reason.
/// </summary>
public sealed class EvaluateConsumer(ModelEvaluation evaluation, IServiceProvider services, ILogger<EvaluateConsumer> logger) : IConsumer<Evaluate>
{
    public async Task Consume(ConsumeContext<Evaluate> context)
    {
        var m = context.Message;
        GroupScore result;
        try
        {
            result = await Task.Run(() => evaluation.RunOnceAsync(m.EvaluationId, m.Checkpoint, m.Dataset, m.Split, m.ItemLimit,
                m.ChainOfThought ? Evaluator.Cot : Evaluator.NoCot, TrainingExtensions.WorkFolder(services), context.CancellationToken));
        }
        catch (Exception e) when (e is KeyNotFoundException or ArgumentException or CheckpointException or DatasetNotFoundException or InvalidOperationException)
        {
            logger.LogError("Evaluation {EvaluationId} of {Checkpoint} failed: {Reason}", m.EvaluationId, m.Checkpoint, e.Message);
            await context.Publish(new EvaluationFailed(m.EvaluationId, m.RunId, m.IterationId, m.Checkpoint, e.Message));
            return;
        }
        logger.LogInformation("Checkpoint {Checkpoint} on {Dataset}/{Split}: answer {Answer:P1}, detection {Detection:P1}",
            m.Checkpoint, m.Dataset, m.Split, result.AnswerAccuracy, result.DetectionAccuracy);
        await context.Publish(new EvaluationCompleted(m.EvaluationId, m.RunId, m.IterationId, m.Checkpoint, result.Count,
            result.AnswerAccuracy, result.DetectionAccuracy ?? 0));
    }
}
