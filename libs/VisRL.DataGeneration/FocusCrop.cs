using VisRL.Imaging;
using VisRL.Imaging.Geometry;

namespace VisRL.DataGeneration;

/// <summary>
/// The crop an HTTP backend sends for a box, at full resolution: the reference crop
/// (<see cref="Crop.Normalized"/> of the clamped box) and, for a box whose crop is empty, the same
/// 8-pixel widening around its center as VisRL-Tiny's own crop view (Modeling's Views.Crop). Kept in
/// step with it on purpose: resized to the model input, this crop is exactly the in-process crop view,
/// so `visrl serve` answers an HTTP turn 2 from the very pixels the in-process path uses.
/// </summary>
public static class FocusCrop
{
    private const int MinSide = 8;

    public static RgbImage Of(RgbImage scene, Box box)
    {
        var clamped = box.Clamp();
        if (Crop.Normalized(scene, clamped) is { } crop) return crop;
        int cx = (int)(clamped.CenterX * scene.Width), cy = (int)(clamped.CenterY * scene.Height);
        int x = Math.Clamp(cx - MinSide / 2, 0, scene.Width - MinSide), y = Math.Clamp(cy - MinSide / 2, 0, scene.Height - MinSide);
        return Crop.Pixels(scene, new PixelRect(x, y, MinSide, MinSide));
    }
}
