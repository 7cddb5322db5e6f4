using System.Xml.Linq;
using Spectre.Console;
using VisRL.Cli.Reports;
using VisRL.Imaging;
using VisRL.Imaging.Geometry;
using VisRL.Modeling;

namespace VisRL.Platform.Tests;

/// <summary>The report's pure parts: inline SVG charts, box outlines and the step table.</summary>
public sealed class ReportRenderingTests
{
    [Fact]
    public void AChartIsWellFormedSvgWithOnePolylinePerSeriesScaledIntoThePlot()
    {
        var svg = SvgChart.Lines("DPO stage 1: rewards/margins <β>", [
            new Series("margins", [(1, 0.0), (10, 0.5), (20, 1.0)]),
            new Series("accuracy", [(1, 0.5), (20, 0.9)]),
        ], width: 420, height: 220);
        var root = XElement.Parse(svg);
        XNamespace ns = "http://www.w3.org/2000/svg";
        var lines = root.Elements(ns + "polyline").ToList();
        Assert.Equal(2, lines.Count);
        var points = lines[0].Attribute("points")!.Value.Split(' ').Select(p => p.Split(',').Select(double.Parse).ToArray()).ToList();
        Assert.Equal(3, points.Count);
        Assert.Equal(48, points[0][0]);          // first step at the left edge of the plot
        Assert.Equal(410, points[^1][0]);        // last step at the right edge (420 − 10)
        Assert.Equal(22, points[^1][1]);         // the largest value at the top
        Assert.Equal(186, points[0][1]);         // the smallest at the bottom (220 − 34)
        Assert.Contains("&lt;β&gt;", svg);       // the title is escaped
        Assert.Contains("no data", SvgChart.Lines("empty", [new Series("x", [])]));
    }

    [Fact]
    public void BoxOutlinesAreDrawnOnACopyOnTheirEdgesOnly()
    {
        var image = new RgbImage(20, 10);
        var drawn = BoxOverlay.Draw(image, [(new Box(0.25f, 0.2f, 0.75f, 0.8f), new Rgb(255, 0, 0))], thickness: 1);
        Assert.Equal(new Rgb(255, 0, 0), drawn[5, 2]);   // top-left corner (0.25·20, 0.2·10)
        Assert.Equal(new Rgb(255, 0, 0), drawn[15, 8]);  // bottom-right corner
        Assert.Equal(new Rgb(0, 0, 0), drawn[10, 5]);    // inside stays untouched
        Assert.Equal(new Rgb(0, 0, 0), image[5, 2]);     // the original is not changed
    }

    [Fact]
    public void AStepTableShowsEachChangeWithItsIntervalAsPlainText()
    {
        // 2 gained, 1 lost of 4: +25 points, half-width 1.96 × √((3 − 4·0.25²)/3/4) = 93.8 points.
        var answer = PairedDifference.Of([false, false, true, true], [true, true, true, false]);
        Assert.Equal("+25.0 [-68.8, +118.8] (+2/-1)", StepComparisons.Format(answer));
        Assert.Equal("-", StepComparisons.Format(null));

        var writer = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors, Out = new AnsiConsoleOutput(writer) });
        console.Profile.Width = 200;
        StepComparisons.Write(console, [new StepComparison("SFT", "SFT+RL1", answer, null)]); // brackets are text, not markup
        var text = writer.ToString();
        Assert.Contains("SFT → SFT+RL1", text);
        Assert.Contains("+25.0 [-68.8, +118.8] (+2/-1)", text);
        Assert.Contains("* = the interval excludes 0", text);
    }
}
