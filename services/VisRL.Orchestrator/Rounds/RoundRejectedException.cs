namespace VisRL.Orchestrator.Rounds;

/// <summary>A round that cannot go on (unknown dataset, no items, every batch failed); the iteration fails with this reason.</summary>
public sealed class RoundRejectedException(string reason) : Exception(reason);
