using VisRL.Imaging.Geometry;
using VisRL.Platform.Persistence.Entities;

namespace VisRL.Data;

/// <summary>The box columns of a candidate as a <see cref="Box"/> (null when its box text did not parse).</summary>
public static class CandidateBoxes
{
    public static Box? ParsedBox(this Candidate candidate) =>
        candidate is { X1: { } x1, Y1: { } y1, X2: { } x2, Y2: { } y2 } ? new Box(x1, y1, x2, y2) : null;
}
