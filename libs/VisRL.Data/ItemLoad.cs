namespace VisRL.Data;

/// <summary>An item that could not be loaded, and why (the decode error names the blob).</summary>
public sealed record ItemLoadFailure(long ItemId, string Reason)
{
    /// <summary>No row has this id (rather than a row whose image cannot be had).</summary>
    public bool RowMissing { get; init; }
}

/// <summary>The items that loaded, in the order asked, and the ones that did not.</summary>
public sealed record ItemLoad(IReadOnlyList<StoredItem> Loaded, IReadOnlyList<ItemLoadFailure> Failed);
