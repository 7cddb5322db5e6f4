namespace VisRL.Data;

/// <summary>A dataset name is reused in a way that would mix items made differently (other knobs, seed, source or file).</summary>
public sealed class DatasetConflictException(string message) : Exception(message);
