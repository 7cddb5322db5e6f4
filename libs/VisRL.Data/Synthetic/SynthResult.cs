namespace VisRL.Data.Synthetic;

/// <summary>What a synth run did: items written now, and items a previous run had already written.</summary>
public sealed record SynthResult(Guid DatasetId, int Written, int AlreadyPresent);
