using VisRL.Imaging;
using VisRL.Imaging.Geometry;

namespace VisRL.Cli.Reports;

/// <summary>Draws normalized boxes as outlines onto a copy of an image (the report's gallery).</summary>
internal static class BoxOverlay
{
    public static RgbImage Draw(RgbImage image, IEnumerable<(Box Box, Rgb Color)> boxes, int thickness = 2)
    {
        var copy = new RgbImage(image.Width, image.Height, (byte[])image.Pixels.Clone());
        foreach (var (box, color) in boxes)
        {
            int x1 = Clamp(box.X1 * image.Width, image.Width), x2 = Clamp(box.X2 * image.Width, image.Width);
            int y1 = Clamp(box.Y1 * image.Height, image.Height), y2 = Clamp(box.Y2 * image.Height, image.Height);
            for (int t = 0; t < thickness; t++)
            {
                for (int x = x1; x <= x2; x++) { Set(copy, x, y1 + t, color); Set(copy, x, y2 - t, color); }
                for (int y = y1; y <= y2; y++) { Set(copy, x1 + t, y, color); Set(copy, x2 - t, y, color); }
            }
        }
        return copy;
    }

    private static int Clamp(double v, int size) => Math.Clamp((int)Math.Round(v), 0, size - 1);

    private static void Set(RgbImage image, int x, int y, Rgb color)
    {
        if (x >= 0 && y >= 0 && x < image.Width && y < image.Height) image[x, y] = color;
    }
}
