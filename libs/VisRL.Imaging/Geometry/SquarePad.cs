namespace VisRL.Imaging.Geometry;

/// <summary>
/// LLaVA/Visual-CoT's expand2square (llava/mm_utils.py): the shorter side is padded with a
/// background color to a square, the image pasted at offset (side - short) // 2. Visual-CoT's
/// normalized boxes refer to that padded square (its cropwithbbox multiplies by max(w, h) and
/// subtracts the offset); VisRL's box_xyxy_expand2square shifts pixel boxes by the same offset.
/// </summary>
public static class SquarePad
{
    /// <summary>The (x, y) position of the original image inside the padded square.</summary>
    public static (int OffsetX, int OffsetY, int Side) Layout(int width, int height)
    {
        if (width == height) return (0, 0, width);
        return width > height ? (0, (width - height) / 2, width) : ((height - width) / 2, 0, height);
    }

    public static RgbImage Apply(RgbImage image, Rgb background)
    {
        var (ox, oy, side) = Layout(image.Width, image.Height);
        if (ox == 0 && oy == 0 && side == image.Width && side == image.Height) return image.Clone();
        var result = RgbImage.Filled(side, side, background);
        for (int y = 0; y < image.Height; y++)
            image.Row(y).CopyTo(result.Pixels.AsSpan(((y + oy) * side + ox) * 3));
        return result;
    }

    /// <summary>Box normalized to the original image → box normalized to the padded square.</summary>
    public static Box ToSquare(Box box, int width, int height)
    {
        var (ox, oy, side) = Layout(width, height);
        return new Box((box.X1 * width + ox) / side, (box.Y1 * height + oy) / side, (box.X2 * width + ox) / side, (box.Y2 * height + oy) / side);
    }

    /// <summary>Box normalized to the padded square → box normalized to the original image (not clamped).</summary>
    public static Box FromSquare(Box box, int width, int height)
    {
        var (ox, oy, side) = Layout(width, height);
        return new Box((box.X1 * side - ox) / width, (box.Y1 * side - oy) / height, (box.X2 * side - ox) / width, (box.Y2 * side - oy) / height);
    }
}
