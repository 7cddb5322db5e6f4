using VisRL.Imaging;
using VisRL.Imaging.Geometry;

namespace VisRL.Modeling;

/// <summary>What the model sees: the whole scene or a box's crop, resized to the model's square input.</summary>
public static class Views
{
    /// <summary>The global view: the scene downscaled by area averaging (what a low-resolution sensor sees).</summary>
    public static RgbImage Global(RgbImage scene, int size) => Fit(scene, size);

    /// <summary>
    /// The crop of <paramref name="box"/> with Imaging's reference semantics (<see cref="Crop.Normalized"/>),
    /// from the full-resolution scene, resized to the input. A box whose crop is empty (zero area,
    /// outside the image) is widened to 8 px around its center (the whole side of a scene narrower than
    /// that), so every box of every scene yields a view.
    /// </summary>
    public static RgbImage Crop(RgbImage scene, Box box, int size) => Fit(CropRegion(scene, box), size);

    /// <summary>
    /// The crop of <see cref="Crop(RgbImage, Box, int)"/> at full resolution, before it is resized: what an HTTP backend
    /// sends for a box, so that a remote VisRL-Tiny (`visrl serve`) sees the very pixels of the in-process crop view.
    /// </summary>
    public static RgbImage CropRegion(RgbImage scene, Box box)
    {
        if (VisRL.Imaging.Geometry.Crop.Normalized(scene, box.Clamp()) is { } crop) return crop;
        const int min = 8;
        var b = box.Clamp();
        int cx = (int)(b.CenterX * scene.Width), cy = (int)(b.CenterY * scene.Height);
        int width = Math.Min(min, scene.Width), height = Math.Min(min, scene.Height);
        int x = Math.Clamp(cx - width / 2, 0, scene.Width - width), y = Math.Clamp(cy - height / 2, 0, scene.Height - height);
        return VisRL.Imaging.Geometry.Crop.Pixels(scene, new PixelRect(x, y, width, height));
    }

    private static RgbImage Fit(RgbImage image, int size) =>
        image.Width == size && image.Height == size ? image
        : Resize.To(image, size, size, image.Width >= size && image.Height >= size ? ResizeMode.Area : ResizeMode.Bilinear);
}
