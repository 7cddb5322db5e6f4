namespace VisRL.Imaging.Codecs;

/// <summary>The IHDR fields the decoder needs.</summary>
internal readonly record struct PngHeader(int Width, int Height, int BitDepth, PngColorType ColorType, bool Interlaced)
{
    public int Channels => ColorType switch
    {
        PngColorType.Gray => 1,
        PngColorType.Rgb => 3,
        PngColorType.Palette => 1,
        PngColorType.GrayAlpha => 2,
        _ => 4,
    };

    public int BitsPerPixel => Channels * BitDepth;

    /// <summary>The "bpp" of the PNG filter definition: bytes per complete pixel, at least 1.</summary>
    public int FilterStride => Math.Max(1, BitsPerPixel / 8);

    public int RowBytes(int width) => (int)(((long)width * BitsPerPixel + 7) / 8);

    public static bool IsValidDepth(PngColorType type, int depth) => type switch
    {
        PngColorType.Gray => depth is 1 or 2 or 4 or 8 or 16,
        PngColorType.Palette => depth is 1 or 2 or 4 or 8,
        PngColorType.Rgb or PngColorType.GrayAlpha or PngColorType.Rgba => depth is 8 or 16,
        _ => false,
    };
}
