namespace VisRL.Torch;

/// <summary>Keys the module had but the source lacked, and keys the source had but the module lacked.</summary>
public sealed record LoadStateDictResult(IReadOnlyList<string> MissingKeys, IReadOnlyList<string> UnexpectedKeys);
