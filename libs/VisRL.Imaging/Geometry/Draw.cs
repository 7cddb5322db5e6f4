namespace VisRL.Imaging.Geometry;

/// <summary>Drawing for previews: filled rectangles and box outlines.</summary>
public static class Draw
{
    public static void FillRect(RgbImage image, PixelRect rect, Rgb color)
    {
        var r = rect.Intersect(image.Width, image.Height);
        if (r.IsEmpty) return;
        var pixels = image.Pixels;
        for (int y = r.Y; y < r.Bottom; y++)
        {
            int i = (y * image.Width + r.X) * 3;
            for (int x = 0; x < r.Width; x++, i += 3)
            {
                pixels[i] = color.R; pixels[i + 1] = color.G; pixels[i + 2] = color.B;
            }
        }
    }

    /// <summary>Outline of a pixel rectangle, drawn inward with the given thickness, clipped to the image.</summary>
    public static void Outline(RgbImage image, PixelRect rect, Rgb color, int thickness = 2)
    {
        if (rect.IsEmpty || thickness <= 0) return;
        int t = Math.Min(thickness, Math.Min((rect.Width + 1) / 2, (rect.Height + 1) / 2));
        FillRect(image, rect with { Height = t }, color);
        FillRect(image, rect with { Y = rect.Bottom - t, Height = t }, color);
        FillRect(image, rect with { Width = t }, color);
        FillRect(image, rect with { X = rect.Right - t, Width = t }, color);
    }

    /// <summary>Outline of a normalized box (rounded to the nearest pixel edges).</summary>
    public static void Outline(RgbImage image, Box box, Rgb color, int thickness = 2)
    {
        int x1 = (int)Math.Round(Math.Min(box.X1, box.X2) * image.Width), x2 = (int)Math.Round(Math.Max(box.X1, box.X2) * image.Width);
        int y1 = (int)Math.Round(Math.Min(box.Y1, box.Y2) * image.Height), y2 = (int)Math.Round(Math.Max(box.Y1, box.Y2) * image.Height);
        Outline(image, new PixelRect(x1, y1, Math.Max(1, x2 - x1), Math.Max(1, y2 - y1)), color, thickness);
    }
}
