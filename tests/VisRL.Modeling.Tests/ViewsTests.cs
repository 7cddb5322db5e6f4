using VisRL.Imaging;
using VisRL.Imaging.Geometry;

namespace VisRL.Modeling.Tests;

public sealed class ViewsTests
{
    private static RgbImage Gradient(int width, int height)
    {
        var image = new RgbImage(width, height);
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
                image.Row(y)[x * 3] = (byte)(x * 255 / Math.Max(1, width - 1));
        return image;
    }

    [Fact]
    public void AnEmptyBoxIsWidenedToEightPixelsAroundItsCenter()
    {
        var scene = Gradient(64, 64);
        var view = Views.Crop(scene, new Box(0.5, 0.5, 0.5, 0.5), 8);
        // Pixels 28..35 of the gradient: the 8 px around the center, not the scene's edge.
        Assert.Equal(Crop.Pixels(scene, new PixelRect(28, 28, 8, 8)).Pixels, view.Pixels);
    }

    [Theory]
    [InlineData(5, 5)]
    [InlineData(3, 40)]
    [InlineData(40, 1)]
    public void AnEmptyBoxOfASceneNarrowerThanEightPixelsTakesTheWholeNarrowSide(int width, int height)
    {
        var scene = Gradient(width, height);
        var view = Views.Crop(scene, new Box(0.9, 0.9, 0.9, 0.9), 16);
        Assert.Equal(16, view.Width);
        Assert.Equal(16, view.Height);
        // The narrow side is whole: the widened crop spans the gradient's first and last column.
        if (width < 8) Assert.Equal(255, view.Row(0)[(view.Width - 1) * 3]);
        // What an HTTP backend sends for it, at full resolution: the whole narrow side, never an error.
        var region = Views.CropRegion(scene, new Box(0.9, 0.9, 0.9, 0.9));
        Assert.Equal((Math.Min(8, width), Math.Min(8, height)), (region.Width, region.Height));
    }
}
