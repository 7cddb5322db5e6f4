namespace VisRL.Contracts.V1;

/// <summary>Command: evaluate a checkpoint on a split (answer and detection accuracy).</summary>
public sealed record Evaluate(
    Guid EvaluationId,
    Guid RunId,
    Guid? IterationId,
    string Checkpoint,
    string Dataset,
    string Split,
    bool ChainOfThought) : IWorkMessage;

/// <summary>Event: an evaluation's results are stored.</summary>
public sealed record EvaluationCompleted(
    Guid EvaluationId,
    Guid RunId,
    Guid? IterationId,
    string Checkpoint,
    int ItemCount,
    double AnswerAccuracy,
    double DetectionAccuracy) : IWorkMessage;
