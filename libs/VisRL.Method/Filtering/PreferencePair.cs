namespace VisRL.Method.Filtering;

/// <summary>A win/lose pair of one item; <see cref="Ordinal"/> is 0 for the item's first pair.</summary>
public sealed record PreferencePair(int Ordinal, long ChosenCandidateId, long RejectedCandidateId);
