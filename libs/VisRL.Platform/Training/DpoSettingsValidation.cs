using VisRL.Contracts.V1;

namespace VisRL.Platform.Training;

/// <summary>
/// The rule for <see cref="DpoSettings"/>, in one place for the Orchestrator, which checks a round's settings before
/// anything is sampled, and for the Trainer, which checks what a TrainStage carries.
/// </summary>
public static class DpoSettingsValidation
{
    /// <summary>Returns <paramref name="s"/> when every field is in range.</summary>
    /// <param name="context">What the settings are, for the message (e.g. "round config: training.dpo").</param>
    /// <exception cref="ArgumentException">A field out of range: the message names it, its value and the range.</exception>
    public static DpoSettings Validate(this DpoSettings s, string context)
    {
        void Check(bool ok, string message) { if (!ok) throw new ArgumentException($"{context}: {message}"); }
        Check(s.Beta > 0 && double.IsFinite(s.Beta), $"beta must be a positive number, not {s.Beta}");
        Check(s.BoxWeight >= 0 && s.AnswerWeight >= 0 && s.BoxWeight + s.AnswerWeight > 0, $"boxWeight {s.BoxWeight} and answerWeight {s.AnswerWeight} must be ≥ 0 and not both 0");
        Check(s.SftWeight >= 0, $"sftWeight must be ≥ 0, not {s.SftWeight}");
        Check(s.Reference is "precomputed" or "frozen", $"reference must be \"precomputed\" or \"frozen\", not \"{s.Reference}\"");
        Check(s.LearningRate > 0 && s.LearningRate < 1, $"learningRate must be in (0, 1), not {s.LearningRate}");
        Check(s.WarmupRatio is >= 0 and <= 1, $"warmupRatio must be in [0, 1], not {s.WarmupRatio}");
        Check(s.Epochs > 0, $"epochs must be > 0, not {s.Epochs}");
        Check(s.BatchSize >= 1 && s.GradAccumulation >= 1, $"batchSize {s.BatchSize} and gradAccumulation {s.GradAccumulation} must be ≥ 1");
        Check(s.CheckpointEvery >= 0, $"checkpointEvery must be ≥ 0, not {s.CheckpointEvery}");
        Check(s.Schedule is "cosine" or "constant", $"schedule must be \"cosine\" or \"constant\", not \"{s.Schedule}\"");
        Check(s.RejectedAnswerContext is "own" or "chosen", $"rejectedAnswerContext must be \"own\" or \"chosen\", not \"{s.RejectedAnswerContext}\"");
        return s;
    }
}
