namespace VisRL.Imaging;

/// <summary>
/// An 8-bit RGB image, rows top to bottom, pixels interleaved R,G,B with no row padding.
/// Every decoder in this library produces one of these (alpha composited, palette expanded,
/// EXIF orientation applied) so the rest of the pipeline handles a single pixel layout.
/// </summary>
public sealed class RgbImage
{
    /// <summary>Upper bound on pixels, so a corrupt header cannot make us allocate gigabytes.</summary>
    public const long MaxPixels = 1L << 28;

    public RgbImage(int width, int height)
        : this(width, height, new byte[checked(ValidateSize(width, height) * 3)])
    {
    }

    public RgbImage(int width, int height, byte[] pixels)
    {
        long count = ValidateSize(width, height);
        ArgumentNullException.ThrowIfNull(pixels);
        if (pixels.LongLength != count * 3)
            throw new ArgumentException($"expected {count * 3} bytes for {width}x{height} RGB, got {pixels.Length}", nameof(pixels));
        Width = width;
        Height = height;
        Pixels = pixels;
    }

    public int Width { get; }
    public int Height { get; }

    /// <summary>Interleaved RGB bytes, <see cref="Stride"/> bytes per row.</summary>
    public byte[] Pixels { get; }

    public int Stride => Width * 3;

    public Span<byte> Row(int y) => Pixels.AsSpan(y * Stride, Stride);

    public Rgb this[int x, int y]
    {
        get
        {
            int i = (y * Width + x) * 3;
            return new Rgb(Pixels[i], Pixels[i + 1], Pixels[i + 2]);
        }
        set
        {
            int i = (y * Width + x) * 3;
            Pixels[i] = value.R;
            Pixels[i + 1] = value.G;
            Pixels[i + 2] = value.B;
        }
    }

    public static RgbImage Filled(int width, int height, Rgb color)
    {
        var image = new RgbImage(width, height);
        image.Fill(color);
        return image;
    }

    public void Fill(Rgb color)
    {
        var span = Pixels.AsSpan();
        if (color.R == color.G && color.G == color.B)
        {
            span.Fill(color.R);
            return;
        }
        // Seed one row, then double it: far faster than a per-pixel loop on large canvases.
        span[0] = color.R; span[1] = color.G; span[2] = color.B;
        int filled = 3;
        while (filled < span.Length)
        {
            int n = Math.Min(filled, span.Length - filled);
            span[..n].CopyTo(span[filled..]);
            filled += n;
        }
    }

    public RgbImage Clone() => new(Width, Height, (byte[])Pixels.Clone());

    public override string ToString() => $"RgbImage {Width}x{Height}";

    private static long ValidateSize(int width, int height)
    {
        if (width <= 0 || height <= 0)
            throw new ArgumentOutOfRangeException(nameof(width), $"image size must be positive, got {width}x{height}");
        long count = (long)width * height;
        if (count > MaxPixels)
            throw new ArgumentOutOfRangeException(nameof(width), $"image {width}x{height} exceeds {MaxPixels} pixels");
        return count;
    }
}
