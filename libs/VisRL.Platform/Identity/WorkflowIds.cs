using VisRL.Contracts.V1;

namespace VisRL.Platform.Identity;

/// <summary>The ids the workflow derives (see <see cref="DerivedIds"/>): anyone can name a run's iteration, or an iteration's jobs and evaluations.</summary>
public static class WorkflowIds
{
    public static Guid Iteration(Guid runId, int number) => DerivedIds.For(runId, $"iteration/{number}");

    /// <summary>The training job of an iteration's DPO stage.</summary>
    public static Guid TrainingJob(Guid iterationId, TrainingStage stage) => DerivedIds.For(iterationId, $"train/{stage}");

    /// <summary>The evaluation of the checkpoint an iteration's DPO stage made.</summary>
    public static Guid Evaluation(Guid iterationId, TrainingStage stage) => DerivedIds.For(iterationId, $"evaluate/{stage}");
}
