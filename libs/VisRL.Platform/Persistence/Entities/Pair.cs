namespace VisRL.Platform.Persistence.Entities;

/// <summary>A win/lose candidate pair for one item.</summary>
public sealed class Pair
{
    public long Id { get; set; }
    public Guid PairSetId { get; set; }
    public long ItemId { get; set; }
    /// <summary>0 for the first pair of an item; more when several pairs per item are asked for.</summary>
    public int Ordinal { get; set; }
    public long ChosenCandidateId { get; set; }
    public long RejectedCandidateId { get; set; }
}
