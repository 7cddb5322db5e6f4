using VisRL.Imaging.Geometry;

namespace VisRL.Imaging.Synthetic;

/// <summary>
/// Measures whether the target glyph can be read at the model's input size, in the global view
/// (whole scene area-downscaled to input×input) and in the crop of the GT box (resized to the
/// same input×input). The reader is generous: it is told where the glyph is (oracle
/// localization), samples the 5×7 cell grid from the resized view at the cell centers
/// (bilinear), and picks the glyph template with the highest normalized correlation. So the only
/// thing measured is whether the resolution still carries the glyph's shape.
/// </summary>
public static class GlyphLegibility
{
    public static LegibilityReport Measure(IEnumerable<SyntheticItem> items, string glyphSet, int inputSize)
    {
        var templates = glyphSet.Select(c => (Glyph: c, Vector: Normalize(Template(c)))).ToArray();
        int n = 0, globalHits = 0, cropHits = 0;
        foreach (var item in items)
        {
            n++;
            var target = item.Target;
            var scene = item.Image;
            var global = Resize.Area(scene, inputSize, inputSize);
            if (Read(global, Scale(target.GlyphBounds, 0, 0, (double)inputSize / scene.Width, (double)inputSize / scene.Height), templates) == target.Glyph)
                globalHits++;

            var rect = Crop.RectOf(item.GtBox, scene.Width, scene.Height);
            var crop = Crop.Pixels(scene, rect);
            var view = Resize.To(crop, inputSize, inputSize, crop.Width >= inputSize && crop.Height >= inputSize ? ResizeMode.Area : ResizeMode.Bilinear);
            var glyphInCrop = Scale(target.GlyphBounds, rect.X, rect.Y, (double)inputSize / rect.Width, (double)inputSize / rect.Height);
            if (Read(view, glyphInCrop, templates) == target.Glyph)
                cropHits++;
        }
        return new LegibilityReport(inputSize, n, glyphSet.Length, n == 0 ? 0 : (double)globalHits / n, n == 0 ? 0 : (double)cropHits / n);
    }

    /// <summary>The glyph the reader sees in <paramref name="view"/> at the (fractional) glyph rectangle.</summary>
    public static char Read(RgbImage view, (double X, double Y, double W, double H) glyph, IReadOnlyList<(char Glyph, double[] Vector)> templates)
    {
        var sample = new double[GlyphFont.Rows * GlyphFont.Columns];
        for (int r = 0; r < GlyphFont.Rows; r++)
            for (int c = 0; c < GlyphFont.Columns; c++)
            {
                double x = glyph.X + (c + 0.5) * glyph.W / GlyphFont.Columns, y = glyph.Y + (r + 0.5) * glyph.H / GlyphFont.Rows;
                sample[r * GlyphFont.Columns + c] = -LumaAt(view, x, y); // ink is dark
            }
        var v = Normalize(sample);
        char best = templates[0].Glyph;
        double bestScore = double.NegativeInfinity;
        foreach (var (g, t) in templates)
        {
            double score = 0;
            for (int i = 0; i < v.Length; i++) score += v[i] * t[i];
            if (score > bestScore) { bestScore = score; best = g; }
        }
        return best;
    }

    private static double[] Template(char c)
    {
        var cells = GlyphFont.Cells(c);
        var t = new double[cells.Length];
        for (int i = 0; i < cells.Length; i++) t[i] = cells[i] ? 1 : 0;
        return t;
    }

    /// <summary>Zero mean, unit norm (all-zero stays zero: a flat sample matches nothing better than chance).</summary>
    private static double[] Normalize(double[] v)
    {
        double mean = v.Average(), norm = 0;
        var r = new double[v.Length];
        for (int i = 0; i < v.Length; i++) { r[i] = v[i] - mean; norm += r[i] * r[i]; }
        norm = Math.Sqrt(norm);
        if (norm > 1e-9) for (int i = 0; i < r.Length; i++) r[i] /= norm;
        return r;
    }

    private static (double X, double Y, double W, double H) Scale(PixelRect rect, int originX, int originY, double sx, double sy) =>
        ((rect.X - originX) * sx, (rect.Y - originY) * sy, rect.Width * sx, rect.Height * sy);

    /// <summary>Bilinear luma at continuous coordinates (pixel centers at +0.5), clamped at the borders.</summary>
    private static double LumaAt(RgbImage image, double x, double y)
    {
        double fx = Math.Clamp(x - 0.5, 0, image.Width - 1), fy = Math.Clamp(y - 0.5, 0, image.Height - 1);
        int x0 = (int)fx, y0 = (int)fy, x1 = Math.Min(x0 + 1, image.Width - 1), y1 = Math.Min(y0 + 1, image.Height - 1);
        double ax = fx - x0, ay = fy - y0;
        double top = image[x0, y0].Luma * (1 - ax) + image[x1, y0].Luma * ax;
        double bottom = image[x0, y1].Luma * (1 - ax) + image[x1, y1].Luma * ax;
        return top * (1 - ay) + bottom * ay;
    }
}
