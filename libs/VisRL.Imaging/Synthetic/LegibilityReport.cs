namespace VisRL.Imaging.Synthetic;

/// <summary>Glyph reading accuracy in the global view and in the GT crop, both at <see cref="InputSize"/>.</summary>
public sealed record LegibilityReport(int InputSize, int Items, int GlyphCount, double GlobalAccuracy, double CropAccuracy)
{
    public double Chance => 1.0 / GlyphCount;

    public override string ToString() =>
        $"input {InputSize}px, {Items} items: crop {CropAccuracy:P1}, global {GlobalAccuracy:P1} (chance {Chance:P1})";
}
