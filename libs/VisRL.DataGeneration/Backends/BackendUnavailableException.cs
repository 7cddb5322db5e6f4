namespace VisRL.DataGeneration.Backends;

/// <summary>The backend answered none of a batch's items: the batch fails as a whole (BatchFailed) so the Orchestrator can try it again later.</summary>
public sealed class BackendUnavailableException(string message) : Exception(message);
