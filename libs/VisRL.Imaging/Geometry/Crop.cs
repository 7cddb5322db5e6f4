namespace VisRL.Imaging.Geometry;

/// <summary>Crops: by pixel rectangle, by normalized box, and Visual-CoT's square context crop.</summary>
public static class Crop
{
    /// <summary>Copies a pixel rectangle; the rectangle must lie inside the image and be non-empty.</summary>
    public static RgbImage Pixels(RgbImage image, PixelRect rect)
    {
        if (rect.IsEmpty || rect.X < 0 || rect.Y < 0 || rect.Right > image.Width || rect.Bottom > image.Height)
            throw new ArgumentOutOfRangeException(nameof(rect), $"{rect} is empty or outside {image.Width}x{image.Height}");
        var result = new RgbImage(rect.Width, rect.Height);
        for (int y = 0; y < rect.Height; y++)
            image.Pixels.AsSpan(((rect.Y + y) * image.Width + rect.X) * 3, rect.Width * 3).CopyTo(result.Row(y));
        return result;
    }

    /// <summary>
    /// The pixel rectangle of a normalized box, mirroring VisRL's crop_and_convert_to_base64
    /// (data_gen/generate.py): x_min = int(x1 * width), y_min = int(y1 * height), likewise for the
    /// max corner (Python int() truncates), then numpy slicing image[y_min:y_max, x_min:x_max],
    /// which clips to the image and yields an empty crop when max ≤ min.
    /// </summary>
    public static PixelRect RectOf(Box box, int width, int height)
    {
        int x1 = Truncate(box.X1 * width), y1 = Truncate(box.Y1 * height);
        int x2 = Truncate(box.X2 * width), y2 = Truncate(box.Y2 * height);
        x1 = SliceIndex(x1, width); x2 = SliceIndex(x2, width);
        y1 = SliceIndex(y1, height); y2 = SliceIndex(y2, height);
        return new PixelRect(x1, y1, Math.Max(0, x2 - x1), Math.Max(0, y2 - y1));
    }

    /// <summary>Crop of a normalized box with the reference semantics; null when the crop is empty
    /// (the reference then fails to encode and drops the candidate).</summary>
    public static RgbImage? Normalized(RgbImage image, Box box)
    {
        var rect = RectOf(box, image.Width, image.Height);
        return rect.IsEmpty ? null : Pixels(image, rect);
    }

    /// <summary>
    /// Visual-CoT's cropwithbbox (llava/eval/model_cot_loader.py): the box is normalized to the
    /// expand2square canvas; it is scaled by max(w, h) and shifted back by the padding offset,
    /// then a square of half-size max(box half-sides, <paramref name="minHalfSize"/>) (112 in the
    /// reference) is centered on the box, shifted to stay inside the image, and clipped.
    /// All divisions are Python floor divisions as in the reference.
    /// </summary>
    public static PixelRect SquareContextRect(Box squareBox, int width, int height, int minHalfSize = 112)
    {
        int side = Math.Max(width, height);
        double xMin = squareBox.X1 * side, yMin = squareBox.Y1 * side, xMax = squareBox.X2 * side, yMax = squareBox.Y2 * side;
        if (width > height)
        {
            int overlay = (width - height) / 2;
            yMin = Math.Max(0, yMin - overlay);
            yMax = Math.Max(0, yMax - overlay);
        }
        else
        {
            int overlay = (height - width) / 2;
            xMin = Math.Max(0, xMin - overlay);
            xMax = Math.Max(0, xMax - overlay);
        }
        double cx = Math.Floor((xMin + xMax) / 2), cy = Math.Floor((yMin + yMax) / 2);
        double half = Math.Max(Math.Max(Math.Floor((xMax - xMin) / 2), Math.Floor((yMax - yMin) / 2)), minHalfSize);
        if (cx - half < 0) cx += -(cx - half);
        if (cy - half < 0) cy += -(cy - half);
        if (cx + half > width) cx -= cx + half - width;
        if (cy + half > height) cy -= cy + half - height;
        int x1 = (int)Math.Max(0, cx - half), y1 = (int)Math.Max(0, cy - half);
        int x2 = (int)Math.Min(width, cx + half), y2 = (int)Math.Min(height, cy + half);
        return new PixelRect(x1, y1, Math.Max(0, x2 - x1), Math.Max(0, y2 - y1));
    }

    public static RgbImage? SquareContext(RgbImage image, Box squareBox, int minHalfSize = 112)
    {
        var rect = SquareContextRect(squareBox, image.Width, image.Height, minHalfSize);
        return rect.IsEmpty ? null : Pixels(image, rect);
    }

    private static int Truncate(double v) => double.IsFinite(v) ? (int)Math.Clamp(Math.Truncate(v), int.MinValue, int.MaxValue) : 0;

    /// <summary>Python slice bound semantics for one index: negatives count from the end, then clip.</summary>
    private static int SliceIndex(int i, int length)
    {
        if (i < 0) i += length;
        return Math.Clamp(i, 0, length);
    }
}
