namespace VisRL.Imaging.Geometry;

/// <summary>EXIF orientation (1..8) and the flips/rotations that undo it.</summary>
public static class Orientation
{
    /// <summary>Returns an image as it should be displayed for the given EXIF orientation.</summary>
    public static RgbImage Apply(RgbImage image, int orientation)
    {
        if (orientation is < 2 or > 8) return image;
        int w = image.Width, h = image.Height;
        bool swap = orientation >= 5;
        var result = swap ? new RgbImage(h, w) : new RgbImage(w, h);
        int ow = result.Width, oh = result.Height;
        var src = image.Pixels;
        var dst = result.Pixels;
        for (int y = 0; y < oh; y++)
        {
            for (int x = 0; x < ow; x++)
            {
                (int sx, int sy) = orientation switch
                {
                    2 => (w - 1 - x, y),          // mirror horizontal
                    3 => (w - 1 - x, h - 1 - y),  // rotate 180
                    4 => (x, h - 1 - y),          // mirror vertical
                    5 => (y, x),                  // transpose
                    6 => (y, h - 1 - x),          // rotate 90 clockwise
                    7 => (w - 1 - y, h - 1 - x),  // transverse
                    _ => (w - 1 - y, x),          // 8: rotate 90 counter-clockwise
                };
                int s = (sy * w + sx) * 3, d = (y * ow + x) * 3;
                dst[d] = src[s]; dst[d + 1] = src[s + 1]; dst[d + 2] = src[s + 2];
            }
        }
        return result;
    }
}
