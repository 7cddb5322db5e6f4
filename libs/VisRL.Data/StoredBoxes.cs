using VisRL.Imaging.Geometry;
using VisRL.Platform.Persistence.Entities;

namespace VisRL.Data;

/// <summary>The box columns of stored rows as a <see cref="Box"/>: an item's GT box (and back), a candidate's parsed box.</summary>
public static class StoredBoxes
{
    public static Box? GtBox(this Item item) =>
        item is { GtX1: { } x1, GtY1: { } y1, GtX2: { } x2, GtY2: { } y2 } ? new Box(x1, y1, x2, y2) : null;

    public static void SetGtBox(this Item item, Box? box)
    {
        item.GtX1 = box is { } b ? (float)b.X1 : null;
        item.GtY1 = box is { } c ? (float)c.Y1 : null;
        item.GtX2 = box is { } d ? (float)d.X2 : null;
        item.GtY2 = box is { } e ? (float)e.Y2 : null;
    }

    /// <summary>Null when the candidate's box text did not parse.</summary>
    public static Box? ParsedBox(this Candidate candidate) =>
        candidate is { X1: { } x1, Y1: { } y1, X2: { } x2, Y2: { } y2 } ? new Box(x1, y1, x2, y2) : null;
}
