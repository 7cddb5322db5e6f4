namespace VisRL.Contracts.V1;

/// <summary>Command: evaluate a checkpoint on a split (answer and detection accuracy); <paramref name="ItemLimit"/> takes the split's first N items.</summary>
public sealed record Evaluate(
    Guid EvaluationId,
    Guid RunId,
    Guid? IterationId,
    string Checkpoint,
    string Dataset,
    string Split,
    bool ChainOfThought,
    int? ItemLimit = null) : IWorkMessage, ICommandMessage;

/// <summary>Event: an evaluation's results are stored.</summary>
public sealed record EvaluationCompleted(
    Guid EvaluationId,
    Guid RunId,
    Guid? IterationId,
    string Checkpoint,
    int ItemCount,
    double AnswerAccuracy,
    double DetectionAccuracy) : IWorkMessage;

/// <summary>Event: an evaluation could not run, for <paramref name="Reason"/>.</summary>
public sealed record EvaluationFailed(Guid EvaluationId, Guid RunId, Guid? IterationId, string Checkpoint, string Reason) : IWorkMessage;
