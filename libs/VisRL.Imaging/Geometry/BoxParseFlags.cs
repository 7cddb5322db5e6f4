namespace VisRL.Imaging.Geometry;

/// <summary>What the tolerant parser had to repair to produce a box.</summary>
[Flags]
public enum BoxParseFlags
{
    None = 0,
    /// <summary>Values looked like pixels and were divided by the image size.</summary>
    PixelCoordinates = 1,
    /// <summary>At least one value was outside [0, 1] and was clamped.</summary>
    Clamped = 2,
    /// <summary>x1 &gt; x2 and/or y1 &gt; y2: the coordinates were swapped.</summary>
    Swapped = 4,
    /// <summary>Brackets were missing or more than four numbers were present.</summary>
    Loose = 8,
    /// <summary>The box has zero width or height (after repairs).</summary>
    ZeroArea = 16,
}
