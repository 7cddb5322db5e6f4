using System.Globalization;

namespace VisRL.Imaging.Geometry;

/// <summary>Printing boxes the way Visual-CoT does ('[%.3f, %.3f, %.3f, %.3f]' in its eval code).</summary>
public static class BoxText
{
    public static string Format(Box box) => string.Create(CultureInfo.InvariantCulture,
        $"[{Round3(box.X1):0.000}, {Round3(box.Y1):0.000}, {Round3(box.X2):0.000}, {Round3(box.Y2):0.000}]");

    /// <summary>Strict parse of the canonical form; use <see cref="BoxParser"/> for model output.</summary>
    public static Box Parse(string text)
    {
        var result = BoxParser.Parse(text);
        if (!result.Success || result.Flags != BoxParseFlags.None)
            throw new FormatException($"not a canonical normalized box: '{text}' ({result.FailureReason ?? result.Flags.ToString()})");
        return result.Box;
    }

    // Python's '%.3f' rounds half to even on the binary value; MidpointRounding.ToEven on the
    // double matches it for the values that matter (ties are rare in binary floating point).
    private static double Round3(double v) => Math.Round(v, 3, MidpointRounding.ToEven) + 0.0;
}
