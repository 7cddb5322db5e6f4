using VisRL.DataGeneration.Backends;
using VisRL.Imaging.Geometry;
using VisRL.Modeling;

namespace VisRL.DataGeneration.Tests;

/// <summary>The piece that makes an HTTP turn read what the in-process turn reads: exact box texts (its crop is <see cref="Views.CropRegion"/>).</summary>
public class HttpPlumbingTests
{
    public static TheoryData<double, double, double, double> Boxes => new()
    {
        { 0.1, 0.2, 0.5, 0.6 },
        { 0.015625, 0.03125, 0.984375, 1 },
        { 0.5, 0.5, 0.5, 0.5 },       // zero area: widened to 8 px
        { 0.999, 0.999, 1.2, 1.3 },   // empty after clamping: widened at the edge
        { -0.3, 0.4, 0.1, 0.41 },
        { 0.7, 0.1, 0.2, 0.3 },       // inverted
    };

    [Theory]
    [MemberData(nameof(Boxes))]
    public void ExactBoxTextsParseBackToTheSameBox(double x1, double y1, double x2, double y2)
    {
        var box = new Box(x1 / 3, y1 / 7, x2 / 3, y2 / 11);
        var parsed = BoxParser.Parse(BoxTexts.Exact(box));
        Assert.True(parsed.Success);
        if (parsed.Flags == BoxParseFlags.None) Assert.Equal(box, parsed.Box);
        Assert.Equal("[0.015625, 0.5, 1E-07, 1]", BoxTexts.Exact(new Box(0.015625, 0.5, 1e-7, 1)));
        Assert.Equal(1e-7, BoxParser.Parse("[0.015625, 0.5, 1E-07, 1]").Box.X1, 15);
    }
}
