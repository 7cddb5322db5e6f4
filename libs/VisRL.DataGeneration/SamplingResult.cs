using VisRL.Data;

namespace VisRL.DataGeneration;

/// <summary>The candidates of the items a policy answered, and the items it could not answer (with the reason).</summary>
public sealed record SamplingResult(IReadOnlyList<SampledCandidate> Candidates, IReadOnlyList<ItemLoadFailure> Failed);
