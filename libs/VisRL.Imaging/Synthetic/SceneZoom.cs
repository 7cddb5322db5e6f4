using VisRL.Imaging.Geometry;

namespace VisRL.Imaging.Synthetic;

/// <summary>
/// Views of a scene at several zoom levels around a focus box, each resized to the model input
/// size: zoom 1 is the whole image, zoom z a square window of side min(w, h)/z centered on the
/// focus (shifted to stay inside). Used to train M_org on scenes at several zoom levels.
/// </summary>
public static class SceneZoom
{
    public static IReadOnlyList<ZoomView> Render(RgbImage scene, Box focus, IReadOnlyList<double> zoomLevels, int outputSize)
    {
        var views = new List<ZoomView>(zoomLevels.Count);
        foreach (double zoom in zoomLevels)
        {
            if (zoom < 1) throw new ArgumentOutOfRangeException(nameof(zoomLevels), "zoom levels must be ≥ 1");
            var rect = Window(scene.Width, scene.Height, focus, zoom);
            var crop = rect.Width == scene.Width && rect.Height == scene.Height ? scene : Crop.Pixels(scene, rect);
            var view = Resize.To(crop, outputSize, outputSize, crop.Width >= outputSize ? ResizeMode.Area : ResizeMode.Bilinear);
            views.Add(new ZoomView(zoom, rect.ToBox(scene.Width, scene.Height), view));
        }
        return views;
    }

    public static PixelRect Window(int width, int height, Box focus, double zoom)
    {
        if (zoom <= 1) return new PixelRect(0, 0, width, height);
        int side = Math.Max(1, (int)Math.Round(Math.Min(width, height) / zoom));
        int x = (int)Math.Round(focus.CenterX * width - side / 2.0), y = (int)Math.Round(focus.CenterY * height - side / 2.0);
        x = Math.Clamp(x, 0, width - side);
        y = Math.Clamp(y, 0, height - side);
        return new PixelRect(x, y, side, side);
    }
}
