using VisRL.Imaging;
using VisRL.Imaging.Geometry;

namespace VisRL.Data.Preview;

/// <summary>A box to outline on a preview, with its color and an optional short label (e.g. "GT", "C1 0.82").</summary>
public sealed record PreviewOverlay(Box Box, Rgb Color, string? Label = null)
{
    /// <summary>Magenta: no synthetic scene color comes near it, so the GT outline stands out.</summary>
    public static Rgb GroundTruthColor { get; } = new(255, 0, 255);

    public static PreviewOverlay GroundTruth(Box box) => new(box, GroundTruthColor, "GT");
}
