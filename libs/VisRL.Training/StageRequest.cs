using VisRL.Modeling;
using VisRL.Torch;

namespace VisRL.Training;

/// <summary>
/// One training stage on a stored dataset. <see cref="JobId"/> names the job: running the same job
/// again after a crash resumes it from its last checkpoint in blob storage.
/// </summary>
public sealed record StageRequest(
    TrainingStageKind Stage,
    string Dataset,
    string Split,
    int? Items,
    string? StartCheckpoint,
    Guid JobId,
    ExperimentOptions Options,
    string WorkFolder,
    Device? Device = null);

public enum TrainingStageKind { Base, Sft }
