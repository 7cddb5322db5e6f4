using VisRL.Data;
using VisRL.Data.Export;
using VisRL.Data.Preview;
using VisRL.Data.Synthetic;
using VisRL.Imaging;
using VisRL.Imaging.Datasets;
using VisRL.Imaging.Geometry;
using VisRL.Imaging.Synthetic;

namespace VisRL.Imaging.Tests;

/// <summary>The pure parts of VisRL.Data: knob parsing, recorded configs, preview drawing, the Visual-CoT export file.</summary>
public class DataHelperTests
{
    [Fact]
    public void FamiliesParseWithWeightsAndBareNames()
    {
        var weights = SyntheticSplitSpec.ParseFamilies("glyph_by_relation=2.5, glyph_by_attributes");
        Assert.Equal(2, weights.Count);
        Assert.Equal(2.5, weights[QuestionFamily.GlyphByRelation]);
        Assert.Equal(1, weights[QuestionFamily.GlyphByAttributes]);
    }

    [Theory]
    [InlineData("glyph_by_colour=1", "unknown family 'glyph_by_colour'")]
    [InlineData("glyph_by_relation=-1", "non-negative number")]
    [InlineData("glyph_by_relation=x", "non-negative number")]
    [InlineData(" , ", "at least one family")]
    public void BadFamiliesAreRefusedWithTheReason(string text, string reason)
    {
        var error = Assert.Throws<ArgumentException>(() => SyntheticSplitSpec.ParseFamilies(text));
        Assert.Contains(reason, error.Message);
    }

    [Fact]
    public void TheRecordedConfigHoldsSeedAndKnobs_AndALargerGlyphGrowsTheShapes()
    {
        var spec = SyntheticSplitSpec.Create(ulong.MaxValue, sceneSize: 512, glyphScale: 3, clutter: 5, families: "glyph_by_extreme=1");
        var json = spec.ToJson();
        Assert.Equal(ulong.MaxValue.ToString(), json["seed"]!.GetValue<string>());
        Assert.Equal(512, json["scene_size"]!.GetValue<int>());
        Assert.Equal(5, json["clutter"]!.GetValue<int>());
        Assert.Equal(3, json["glyph_scale"]!.GetValue<int>());
        Assert.Equal(54, json["min_object_size"]!.GetValue<int>()); // 18 × glyph scale, so glyphs fit
        Assert.Equal("""{"glyph_by_extreme":1}""", json["families"]!.ToJsonString());
        Assert.Equal(SyntheticSplitSpec.Create(1).ToJson().ToJsonString(), SyntheticSplitSpec.Create(1).ToJson().ToJsonString());
        Assert.NotEqual(SyntheticSplitSpec.Create(1).ToJson().ToJsonString(), SyntheticSplitSpec.Create(2).ToJson().ToJsonString());
        Assert.Throws<ArgumentException>(() => SyntheticSplitSpec.Create(1, minObjects: 8, maxObjects: 4));
    }

    [Theory]
    [InlineData("shapes_v2")]
    [InlineData("a.b-c")]
    public void PlainNamesPass(string name) => DatasetNames.Validate(name, "dataset name");

    [Theory]
    [InlineData("")]
    [InlineData("../etc")]
    [InlineData("a/b")]
    [InlineData("with space")]
    public void NamesThatWouldBreakKeysOrPathsAreRefused(string name) =>
        Assert.Throws<ArgumentException>(() => DatasetNames.Validate(name, "dataset name"));

    [Fact]
    public void ImageKeysAreStablePerOrdinalAndFormat()
    {
        Assert.Equal("datasets/shapes/sft/000042.png", ImageKeys.For("shapes", "sft", 42, ImageFormat.Png));
        Assert.Equal("datasets/shapes/test/001000.jpg", ImageKeys.For("shapes", "test", 1000, ImageFormat.Jpeg));
        Assert.Equal(DatasetFileFormat.VisCot, DatasetFileFormats.Parse("VisCoT"));
        Assert.Equal("llamafactory", DatasetFileFormats.Parse("llamafactory").Name());
        Assert.Throws<ArgumentException>(() => DatasetFileFormats.Parse("coco"));
    }

    [Fact]
    public void APreviewOutlinesEachBoxInItsColorAndLeavesTheSourceAlone()
    {
        var gray = new Rgb(128, 128, 128);
        var image = RgbImage.Filled(100, 80, gray);
        var candidate = new Rgb(0, 200, 255);
        var rendered = PreviewRenderer.Render(image, [
            PreviewOverlay.GroundTruth(new Box(0.2, 0.25, 0.6, 0.75)),
            new PreviewOverlay(new Box(0.7, 0.1, 0.9, 0.3), candidate, "C1"),
        ]);

        Assert.Equal(gray, image[20, 20]); // the source is not drawn on
        foreach (var (x, y) in new[] { (20, 20), (59, 20), (20, 59), (59, 59), (40, 20), (20, 40), (21, 21) })
            Assert.Equal(PreviewOverlay.GroundTruthColor, rendered[x, y]);
        Assert.Equal(gray, rendered[40, 40]); // inside the outline
        Assert.Equal(gray, rendered[19, 40]); // just outside it
        Assert.Equal(candidate, rendered[70, 8]);
        Assert.Equal(candidate, rendered[89, 23]);
        // The label sits above the GT box, in its color.
        int labelPixels = 0;
        for (int y = 0; y < 20; y++)
            for (int x = 20; x < 40; x++)
                if (rendered[x, y] == PreviewOverlay.GroundTruthColor) labelPixels++;
        Assert.InRange(labelPixels, 5, 100);
    }

    [Fact]
    public void TheVisCotExportKeepsBoxesWithin1e3WhereWholePixelsWouldNot()
    {
        string folder = Directory.CreateTempSubdirectory("visrl-viscot-export-").FullName;
        try
        {
            ImageCodec.Save(RgbImage.Filled(448, 300, Rgb.White), Path.Combine(folder, "a.png"));
            // Float32 as stored in PostgreSQL, off the pixel grid by a third of a pixel.
            var box = new Box((float)(100.33 / 448), (float)(50.4 / 300), (float)(200.66 / 448), (float)(120.2 / 300));
            var row = new DatasetRow("a.png", "What character is on the red circle?", "Q", box, "glyph_by_attributes", 0);
            VisCotExportFile.Write(Path.Combine(folder, "out.json"), [(row, 448, 300)]);
            VisualCotWriter.Write(Path.Combine(folder, "whole.json"), folder, [row with { ImagePath = Path.Combine(folder, "a.png") }]);

            var back = VisualCotReader.Read(Path.Combine(folder, "out.json"), folder);
            var read = Assert.Single(back.Rows);
            Assert.Equal((row.Question, row.Answer, row.Family), (read.Question, read.Answer, read.Family));
            Assert.InRange(MaxError(box, read.GtBox!.Value), 0, 1e-3);
            Assert.True(MaxError(box, Assert.Single(VisualCotReader.Read(Path.Combine(folder, "whole.json"), folder).Rows).GtBox!.Value) > 1e-3);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static double MaxError(Box a, Box b) =>
        new[] { a.X1 - b.X1, a.Y1 - b.Y1, a.X2 - b.X2, a.Y2 - b.Y2 }.Max(Math.Abs);
}
