using System.Globalization;
using System.Text.RegularExpressions;

namespace VisRL.Imaging.Geometry;

/// <summary>
/// Tolerant parsing of a box from model output: "[0.1, 0.2, 0.3, 0.4]", "0.1,0.2,0.3,0.4",
/// "The region is [12, 40, 200, 310]." (pixels, normalized when the image size is given).
/// Rules, in order: take the first bracketed group holding ≥ 4 numbers, else the first 4 numbers
/// anywhere (flag Loose); a value ≥ 2 means pixel coordinates (x by width, y by height), which
/// needs an image size, while values between 1 and 2 are a normalized box overshooting the edge
/// (VisRL's crop clips them the same way); clamp to [0, 1] (flag Clamped); order x1 ≤ x2, y1 ≤ y2
/// (flag Swapped).
/// Garbage yields a failure with a reason, never an exception.
/// </summary>
public static partial class BoxParser
{
    [GeneratedRegex(@"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")]
    private static partial Regex NumberPattern();

    [GeneratedRegex(@"[\[\(\{]([^\[\]\(\)\{\}]*)[\]\)\}]")]
    private static partial Regex GroupPattern();

    public const int MaxInputLength = 10_000;

    /// <summary>No one means a box inside a 2×2-pixel corner, so below this the numbers are normalized.</summary>
    public const double PixelThreshold = 2;

    public static BoxParseResult Parse(string? text, int? imageWidth = null, int? imageHeight = null)
    {
        if (string.IsNullOrWhiteSpace(text))
            return BoxParseResult.Fail("empty text");
        if (text.Length > MaxInputLength)
            text = text[..MaxInputLength];
        var flags = BoxParseFlags.None;
        double[]? values = null;
        foreach (Match group in GroupPattern().Matches(text))
        {
            values = Numbers(group.Groups[1].Value);
            if (values.Length >= 4) break;
            values = null;
        }
        if (values is null)
        {
            values = Numbers(text);
            flags |= BoxParseFlags.Loose;
        }
        if (values.Length < 4)
            return BoxParseResult.Fail($"expected 4 numbers, found {values.Length}");
        if (values.Length > 4)
            flags |= BoxParseFlags.Loose;
        double x1 = values[0], y1 = values[1], x2 = values[2], y2 = values[3];
        foreach (double v in values.AsSpan(0, 4))
            if (!double.IsFinite(v)) return BoxParseResult.Fail("non-finite number");

        if (Math.Max(Math.Max(x1, y1), Math.Max(x2, y2)) >= PixelThreshold)
        {
            if (imageWidth is not > 0 || imageHeight is not > 0)
                return BoxParseResult.Fail($"values reach {PixelThreshold} (pixel coordinates?) and no image size was given");
            x1 /= imageWidth.Value; x2 /= imageWidth.Value;
            y1 /= imageHeight.Value; y2 /= imageHeight.Value;
            flags |= BoxParseFlags.PixelCoordinates;
        }
        var clamped = new Box(x1, y1, x2, y2).Clamp();
        if (clamped != new Box(x1, y1, x2, y2)) flags |= BoxParseFlags.Clamped;
        (x1, y1, x2, y2) = (clamped.X1, clamped.Y1, clamped.X2, clamped.Y2);
        if (x1 > x2) { (x1, x2) = (x2, x1); flags |= BoxParseFlags.Swapped; }
        if (y1 > y2) { (y1, y2) = (y2, y1); flags |= BoxParseFlags.Swapped; }
        if (x1 == x2 || y1 == y2) flags |= BoxParseFlags.ZeroArea;
        return BoxParseResult.Ok(new Box(x1, y1, x2, y2), flags);
    }

    private static double[] Numbers(string text)
    {
        var list = new List<double>(4);
        foreach (Match m in NumberPattern().Matches(text))
        {
            if (double.TryParse(m.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out double v)) list.Add(v);
            if (list.Count > 16) break;
        }
        return [.. list];
    }
}
