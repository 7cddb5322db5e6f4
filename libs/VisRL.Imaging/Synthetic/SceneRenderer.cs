using VisRL.Imaging.Geometry;

namespace VisRL.Imaging.Synthetic;

/// <summary>Rasterizes a laid-out scene: noisy background, clutter, shapes, glyphs.</summary>
internal sealed class SceneRenderer
{
    private const int NoiseTileSize = 256;
    private const int NoiseBlock = 4;
    private readonly SyntheticOptions _o;
    private readonly byte[] _backgroundTile; // NoiseTileSize² RGB pixels: background + noise, pre-clamped

    public SceneRenderer(SyntheticOptions options, ulong seed)
    {
        _o = options;
        // One noisy background tile per split, sampled at a random offset per item: per-pixel
        // noise at the cost of block copies instead of a PRNG draw per pixel.
        var rng = new Xoshiro256(seed ^ 0x6E6F697365UL);
        int amplitude = Math.Clamp(options.NoiseAmplitude, 0, 127);
        var bg = options.Background;
        _backgroundTile = new byte[NoiseTileSize * NoiseTileSize * 3];
        // Noise in 4×4 blocks: texture at the scale of the clutter, and PNG still compresses it
        // (per-pixel gray noise costs ~3× its entropy, once per channel).
        var blocks = new int[(NoiseTileSize / NoiseBlock) * (NoiseTileSize / NoiseBlock)];
        for (int i = 0; i < blocks.Length; i++)
            blocks[i] = amplitude == 0 ? 0 : rng.NextInt(2 * amplitude + 1) - amplitude;
        for (int i = 0; i < NoiseTileSize * NoiseTileSize; i++)
        {
            int tx = i % NoiseTileSize, ty = i / NoiseTileSize;
            int n = blocks[(ty / NoiseBlock) * (NoiseTileSize / NoiseBlock) + tx / NoiseBlock];
            _backgroundTile[3 * i] = (byte)Math.Clamp(bg.R + n, 0, 255);
            _backgroundTile[3 * i + 1] = (byte)Math.Clamp(bg.G + n, 0, 255);
            _backgroundTile[3 * i + 2] = (byte)Math.Clamp(bg.B + n, 0, 255);
        }
    }

    public RgbImage Render(IReadOnlyList<SceneObject> objects, Xoshiro256 rng)
    {
        int size = _o.SceneSize;
        var image = new RgbImage(size, size);
        FillBackground(image, rng.NextInt(NoiseTileSize), rng.NextInt(NoiseTileSize));
        for (int i = 0; i < _o.ClutterCount; i++) DrawClutter(image, rng);
        foreach (var obj in objects)
        {
            FillShape(image, obj.Shape, obj.Bounds, obj.Color.Value);
            GlyphFont.Render(image, obj.Glyph, obj.GlyphBounds.X, obj.GlyphBounds.Y, _o.GlyphScale, _o.GlyphInk);
        }
        return image;
    }

    private void FillBackground(RgbImage image, int offsetX, int offsetY)
    {
        int size = image.Width;
        for (int y = 0; y < size; y++)
        {
            var tileRow = _backgroundTile.AsSpan(((y + offsetY) % NoiseTileSize) * NoiseTileSize * 3, NoiseTileSize * 3);
            var row = image.Row(y);
            int x = 0, tx = offsetX;
            while (x < size)
            {
                int n = Math.Min(size - x, NoiseTileSize - tx);
                tileRow.Slice(tx * 3, n * 3).CopyTo(row[(x * 3)..]);
                x += n;
                tx = 0;
            }
        }
    }

    /// <summary>Specks and short strokes in muted colors: texture that is not a glyph-bearing shape.</summary>
    private void DrawClutter(RgbImage image, Xoshiro256 rng)
    {
        int size = image.Width;
        byte level = (byte)rng.NextInt(90, 200);
        var color = new Rgb(level, (byte)Math.Clamp(level + rng.NextInt(-30, 30), 0, 255), (byte)Math.Clamp(level + rng.NextInt(-30, 30), 0, 255));
        int x = rng.NextInt(size), y = rng.NextInt(size);
        if (rng.NextInt(2) == 0)
        {
            int s = rng.NextInt(2, 4);
            Draw.FillRect(image, new PixelRect(x, y, s, s), color);
        }
        else
        {
            int length = rng.NextInt(5, 16);
            bool horizontal = rng.NextInt(2) == 0;
            Draw.FillRect(image, horizontal ? new PixelRect(x, y, length, 1) : new PixelRect(x, y, 1, length), color);
        }
    }

    /// <summary>Fills the pixels whose centers lie inside the shape, one horizontal span per row.</summary>
    private static void FillShape(RgbImage image, ShapeKind shape, PixelRect bounds, Rgb color)
    {
        double half = bounds.Width / 2.0, cx = bounds.X + half, cy = bounds.Y + half;
        const double Sqrt3 = 1.7320508075688772;
        for (int y = bounds.Y; y < bounds.Bottom; y++)
        {
            double v = (y + 0.5 - cy) / half, av = Math.Abs(v);
            // Half-width of the shape at this row, in units of half the bounding box.
            double w = shape switch
            {
                ShapeKind.Circle => av <= 1 ? Math.Sqrt(1 - v * v) : -1,
                ShapeKind.Square => 1,
                ShapeKind.Triangle => (v + 1) / 2, // apex up, base at the bottom edge
                ShapeKind.Diamond => 1 - av,
                _ => av <= Sqrt3 / 2 ? (Sqrt3 - av) / Sqrt3 : -1,
            };
            if (w < 0) continue;
            int x1 = Math.Max(bounds.X, (int)Math.Ceiling(cx - w * half - 0.5));
            int x2 = Math.Min(bounds.Right - 1, (int)Math.Floor(cx + w * half - 0.5));
            if (x2 < x1) continue;
            var row = image.Pixels.AsSpan((y * image.Width + x1) * 3, (x2 - x1 + 1) * 3);
            for (int i = 0; i < row.Length; i += 3)
            {
                row[i] = color.R; row[i + 1] = color.G; row[i + 2] = color.B;
            }
        }
    }
}
