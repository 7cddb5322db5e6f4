using VisRL.Imaging.Geometry;

namespace VisRL.Imaging.Tests;

public class GeometryTests
{
    [Theory]
    // identical, disjoint, touching, half overlap, containment
    [InlineData(0, 0, 1, 1, 0, 0, 1, 1, 1.0)]
    [InlineData(0, 0, 0.2, 0.2, 0.5, 0.5, 0.9, 0.9, 0.0)]
    [InlineData(0, 0, 0.5, 0.5, 0.5, 0, 1, 0.5, 0.0)]
    [InlineData(0, 0, 0.5, 0.5, 0.25, 0, 0.75, 0.5, 1.0 / 3)]
    [InlineData(0, 0, 1, 1, 0.25, 0.25, 0.75, 0.75, 0.25)]
    // zero-area point and line against a box: intersection 0 → IoU 0 (as torchvision)
    [InlineData(0.5, 0.5, 0.5, 0.5, 0, 0, 1, 1, 0.0)]
    [InlineData(0.5, 0, 0.5, 1, 0, 0, 1, 1, 0.0)]
    // two identical zero-area boxes: torchvision gives NaN (0/0); defined here as 0
    [InlineData(0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.0)]
    [InlineData(0.3, 0.3, 0.3, 0.6, 0.3, 0.3, 0.3, 0.6, 0.0)]
    // inverted box: torchvision's area of (0.5,0.5,0.25,0.25) is +0.0625, intersection clamps to 0
    [InlineData(0.5, 0.5, 0.25, 0.25, 0, 0, 1, 1, 0.0)]
    public void IouMatchesTorchvisionBoxIou(double a1, double a2, double a3, double a4, double b1, double b2, double b3, double b4, double expected)
    {
        var a = new Box(a1, a2, a3, a4);
        var b = new Box(b1, b2, b3, b4);
        Assert.Equal(expected, BoxIou.Iou(a, b), 9);
        Assert.Equal(expected, BoxIou.Iou(b, a), 9);
    }

    [Fact]
    public void DetectionHitIsStrictlyAboveHalf()
    {
        var truth = new Box(0, 0, 1, 1);
        Assert.False(BoxIou.IsHit(new Box(0, 0, 0.5, 1), truth)); // exactly 0.5
        Assert.True(BoxIou.IsHit(new Box(0, 0, 0.51, 1), truth));
    }

    [Theory]
    [InlineData(0.1334, 0.5316, 0.18749, 0.5531, "[0.133, 0.532, 0.187, 0.553]")]
    [InlineData(0, 0, 1, 1, "[0.000, 0.000, 1.000, 1.000]")]
    [InlineData(-0.0001, 0.1, 0.2, 0.3, "[0.000, 0.100, 0.200, 0.300]")]
    public void FormatsLikeVisualCot(double x1, double y1, double x2, double y2, string expected)
    {
        Assert.Equal(expected, BoxText.Format(new Box(x1, y1, x2, y2)));
        Assert.Equal(expected, new Box(x1, y1, x2, y2).ToString());
    }

    [Theory]
    [InlineData("[0.133, 0.532, 0.187, 0.553]", 0, 0, 0.133, 0.532, 0.187, 0.553, BoxParseFlags.None)]
    [InlineData("The region is [0.1 , 0.2,0.3 ,0.4].", 0, 0, 0.1, 0.2, 0.3, 0.4, BoxParseFlags.None)]
    [InlineData("(0.1, 0.2, 0.3, 0.4)", 0, 0, 0.1, 0.2, 0.3, 0.4, BoxParseFlags.None)]
    [InlineData("0.1,0.2,0.3,0.4", 0, 0, 0.1, 0.2, 0.3, 0.4, BoxParseFlags.Loose)]
    [InlineData("[0.1, 0.2, 0.3, 0.4, 0.5]", 0, 0, 0.1, 0.2, 0.3, 0.4, BoxParseFlags.Loose)]
    [InlineData("[10, 20, 30, 40]", 100, 200, 0.1, 0.1, 0.3, 0.2, BoxParseFlags.PixelCoordinates)]
    [InlineData("[120, 20, 530, 40]", 500, 100, 0.24, 0.2, 1, 0.4, BoxParseFlags.PixelCoordinates | BoxParseFlags.Clamped)]
    [InlineData("[0.5, 0.2, 0.1, 0.4]", 0, 0, 0.1, 0.2, 0.5, 0.4, BoxParseFlags.Swapped)]
    [InlineData("[-0.1, 0.2, 1.0, 0.4]", 0, 0, 0, 0.2, 1, 0.4, BoxParseFlags.Clamped)]
    [InlineData("[0.5, 0.1, 1.2, 0.9]", 0, 0, 0.5, 0.1, 1, 0.9, BoxParseFlags.Clamped)]
    [InlineData("[0.5, 0.1, 1.2, 0.9]", 100, 100, 0.5, 0.1, 1, 0.9, BoxParseFlags.Clamped)]
    [InlineData("[1, 0, 2, 1]", 10, 10, 0.1, 0, 0.2, 0.1, BoxParseFlags.PixelCoordinates)]
    [InlineData("[0.1, 0.2, 0.1, 0.4]", 0, 0, 0.1, 0.2, 0.1, 0.4, BoxParseFlags.ZeroArea)]
    [InlineData("[.1, .2, .3, .4]", 0, 0, 0.1, 0.2, 0.3, 0.4, BoxParseFlags.None)]
    public void ParsesModelOutputTolerantly(string text, int w, int h, double x1, double y1, double x2, double y2, BoxParseFlags flags)
    {
        var result = BoxParser.Parse(text, w > 0 ? w : null, h > 0 ? h : null);
        Assert.True(result.Success, result.FailureReason);
        Assert.Equal(flags, result.Flags);
        Assert.Equal(x1, result.Box.X1, 9);
        Assert.Equal(y1, result.Box.Y1, 9);
        Assert.Equal(x2, result.Box.X2, 9);
        Assert.Equal(y2, result.Box.Y2, 9);
    }

    [Theory]
    [InlineData(null, "empty")]
    [InlineData("", "empty")]
    [InlineData("hello", "found 0")]
    [InlineData("[0.1, 0.2, 0.3]", "found 3")]
    [InlineData("[10, 20, 30, 40]", "no image size")]
    [InlineData("[0.1, 0.2, 1e400, 0.4]", "non-finite")]
    public void GarbageFailsWithAReason(string? text, string reasonPart)
    {
        var result = BoxParser.Parse(text);
        Assert.False(result.Success);
        Assert.Contains(reasonPart, result.FailureReason);
    }

    [Fact]
    public void PrintParseRoundTrip()
    {
        var box = new Box(0.123, 0.456, 0.789, 0.9);
        Assert.Equal(box, BoxText.Parse(BoxText.Format(box)));
    }

    [Theory]
    // VisRL crop_and_convert_to_base64: int(b * size), then numpy slicing (clipped; empty if max ≤ min)
    [InlineData(0.1, 0.2, 0.5, 0.6, 100, 50, 10, 10, 40, 20)]
    [InlineData(0.333, 0.333, 0.667, 0.667, 10, 10, 3, 3, 3, 3)]
    [InlineData(0, 0, 1, 1, 7, 5, 0, 0, 7, 5)]
    [InlineData(0.5, 0.1, 1.2, 0.9, 10, 10, 5, 1, 5, 8)]
    [InlineData(0.5, 0.5, 0.5, 0.7, 10, 10, 5, 5, 0, 2)]
    [InlineData(0.6, 0.5, 0.4, 0.7, 10, 10, 6, 5, 0, 2)]
    public void CropRectMirrorsVisRlReference(double x1, double y1, double x2, double y2, int w, int h, int rx, int ry, int rw, int rh)
    {
        var rect = Crop.RectOf(new Box(x1, y1, x2, y2), w, h);
        Assert.Equal(new PixelRect(rx, ry, rw, rh), rect);
        var image = new RgbImage(w, h);
        Assert.Equal(rect.IsEmpty, Crop.Normalized(image, new Box(x1, y1, x2, y2)) is null);
    }

    [Theory]
    // Visual-CoT cropwithbbox, hand-evaluated from the reference's Python
    [InlineData(0.5, 0.5, 0.6, 0.6, 800, 600, 328, 228, 224, 224)]
    [InlineData(0, 0, 0.05, 0.05, 800, 600, 0, 0, 224, 224)]
    [InlineData(0.4, 0.4, 0.6, 0.6, 100, 150, 0, 0, 100, 150)]
    [InlineData(0.1, 0.2, 0.9, 0.5, 1000, 1000, 100, 0, 800, 800)]
    public void SquareContextCropMirrorsVisualCot(double x1, double y1, double x2, double y2, int w, int h, int rx, int ry, int rw, int rh)
    {
        Assert.Equal(new PixelRect(rx, ry, rw, rh), Crop.SquareContextRect(new Box(x1, y1, x2, y2), w, h));
    }

    [Fact]
    public void CropCopiesTheRightPixels()
    {
        var image = new RgbImage(10, 8);
        for (int y = 0; y < 8; y++) for (int x = 0; x < 10; x++) image[x, y] = new Rgb((byte)x, (byte)y, 0);
        var crop = Crop.Pixels(image, new PixelRect(3, 2, 4, 5));
        Assert.Equal((4, 5), (crop.Width, crop.Height));
        Assert.Equal(new Rgb(3, 2, 0), crop[0, 0]);
        Assert.Equal(new Rgb(6, 6, 0), crop[3, 4]);
    }

    [Theory]
    [InlineData(4, 2, 0, 1, 4)]
    [InlineData(3, 2, 0, 0, 3)]
    [InlineData(2, 5, 1, 0, 5)]
    [InlineData(6, 6, 0, 0, 6)]
    public void ExpandToSquareCentersLikeLlava(int w, int h, int ox, int oy, int side)
    {
        Assert.Equal((ox, oy, side), SquarePad.Layout(w, h));
        var image = RgbImage.Filled(w, h, new Rgb(10, 20, 30));
        var padded = SquarePad.Apply(image, new Rgb(122, 116, 104));
        Assert.Equal((side, side), (padded.Width, padded.Height));
        Assert.Equal(new Rgb(10, 20, 30), padded[ox, oy]);
        Assert.Equal(new Rgb(10, 20, 30), padded[ox + w - 1, oy + h - 1]);
        var box = new Box(0.1, 0.2, 0.7, 0.9);
        var square = SquarePad.ToSquare(box, w, h);
        var back = SquarePad.FromSquare(square, w, h);
        Assert.Equal(box.X1, back.X1, 9);
        Assert.Equal(box.Y2, back.Y2, 9);
        // The box covers the same pixels before and after padding.
        Assert.Equal(box.X1 * w + ox, square.X1 * side, 9);
        Assert.Equal(box.Y2 * h + oy, square.Y2 * side, 9);
    }

    [Fact]
    public void AreaResizeAveragesExactly()
    {
        var image = new RgbImage(4, 2);
        byte[] values = [0, 100, 200, 40, 20, 60, 0, 0];
        for (int i = 0; i < 8; i++) image[i % 4, i / 4] = new Rgb(values[i], values[i], values[i]);
        var small = Resize.Area(image, 2, 1);
        Assert.Equal(45, small[0, 0].R); // (0+100+20+60)/4
        Assert.Equal(60, small[1, 0].R); // (200+40+0+0)/4
        var third = Resize.Area(RgbImage.Filled(3, 3, new Rgb(90, 90, 90)), 2, 2);
        Assert.All(Enumerable.Range(0, 4), i => Assert.Equal(90, third[i % 2, i / 2].R));
    }

    [Fact]
    public void BilinearKeepsConstantsAndInterpolates()
    {
        var constant = Resize.Bilinear(RgbImage.Filled(5, 3, new Rgb(7, 8, 9)), 17, 11);
        Assert.All(Enumerable.Range(0, 17 * 11), i => Assert.Equal(new Rgb(7, 8, 9), constant[i % 17, i / 17]));
        var ramp = new RgbImage(2, 1);
        ramp[0, 0] = Rgb.Black;
        ramp[1, 0] = Rgb.White;
        var wide = Resize.Bilinear(ramp, 4, 1);
        Assert.Equal([0, 64, 191, 255], Enumerable.Range(0, 4).Select(x => (int)wide[x, 0].R));
    }

    [Fact]
    public void OutlineDrawsOnlyTheBorder()
    {
        var image = RgbImage.Filled(10, 10, Rgb.White);
        Draw.Outline(image, new PixelRect(2, 2, 5, 5), new Rgb(255, 0, 0), thickness: 1);
        Assert.Equal(new Rgb(255, 0, 0), image[2, 2]);
        Assert.Equal(new Rgb(255, 0, 0), image[6, 4]);
        Assert.Equal(Rgb.White, image[4, 4]);
        Assert.Equal(Rgb.White, image[7, 7]);
        Draw.Outline(image, new Box(0.5, 0.5, 1.2, 1.2), Rgb.Black, 3); // clipped, no throw
        Assert.Equal(Rgb.Black, image[9, 9]);
    }

    [Fact]
    public void OrientationSixRotatesClockwise()
    {
        var image = new RgbImage(3, 2);
        image[0, 0] = new Rgb(1, 0, 0);
        var rotated = Orientation.Apply(image, 6);
        Assert.Equal((2, 3), (rotated.Width, rotated.Height));
        Assert.Equal(new Rgb(1, 0, 0), rotated[1, 0]); // top-left goes to top-right
    }
}
