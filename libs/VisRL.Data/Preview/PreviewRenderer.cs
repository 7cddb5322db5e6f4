using VisRL.Imaging;
using VisRL.Imaging.Geometry;
using VisRL.Imaging.Synthetic;

namespace VisRL.Data.Preview;

/// <summary>Draws overlays on a copy of an image: each box outlined in its color, its label above it.</summary>
public static class PreviewRenderer
{
    public static RgbImage Render(RgbImage image, IReadOnlyList<PreviewOverlay> overlays)
    {
        var canvas = image.Clone();
        int thickness = Thickness(image);
        foreach (var overlay in overlays) Draw.Outline(canvas, overlay.Box, overlay.Color, thickness);
        // Labels after all outlines, so a later box never hides an earlier box's label.
        foreach (var overlay in overlays.Where(o => !string.IsNullOrEmpty(o.Label))) DrawLabel(canvas, overlay);
        return canvas;
    }

    /// <summary>2 px up to ~600 px images, thicker on larger ones so the outline stays visible when scaled down.</summary>
    public static int Thickness(RgbImage image) => Math.Max(2, Math.Max(image.Width, image.Height) / 300);

    private static void DrawLabel(RgbImage canvas, PreviewOverlay overlay)
    {
        int scale = Math.Max(1, Thickness(canvas) / 2);
        int glyphHeight = GlyphFont.Rows * scale, advance = (GlyphFont.Columns + 1) * scale;
        int x = (int)Math.Round(Math.Min(overlay.Box.X1, overlay.Box.X2) * canvas.Width);
        int top = (int)Math.Round(Math.Min(overlay.Box.Y1, overlay.Box.Y2) * canvas.Height);
        // Above the box when there is room, else just inside its top edge.
        int y = top - glyphHeight - 2 >= 0 ? top - glyphHeight - 2 : top + Thickness(canvas) + 1;
        // The 5×7 font has digits and capitals only (no I or O); other characters leave a gap.
        foreach (char c in overlay.Label!.ToUpperInvariant())
        {
            if (GlyphFont.Has(c)) GlyphFont.Render(canvas, c, x, y, scale, overlay.Color);
            x += advance;
        }
    }
}
