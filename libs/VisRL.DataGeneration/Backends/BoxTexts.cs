using System.Globalization;
using VisRL.Imaging.Geometry;

namespace VisRL.DataGeneration.Backends;

/// <summary>Box texts beyond the VisCoT 3-decimal form.</summary>
public static class BoxTexts
{
    /// <summary>
    /// "[x1, y1, x2, y2]" with each coordinate in its shortest round-trip form: parsing it gives back
    /// exactly this box. (Location-token bin edges k/64 print with at most 6 decimals.)
    /// </summary>
    public static string Exact(Box box) => string.Create(CultureInfo.InvariantCulture,
        $"[{R(box.X1)}, {R(box.Y1)}, {R(box.X2)}, {R(box.Y2)}]");

    private static string R(double v) => (v + 0.0).ToString("R", CultureInfo.InvariantCulture);
}
