using System.Security.Cryptography;
using VisRL.Imaging.Codecs;
using VisRL.Imaging.Geometry;
using VisRL.Imaging.Synthetic;
using Xunit.Abstractions;

namespace VisRL.Imaging.Tests;

public class SyntheticTests(ITestOutputHelper output)
{
    [Fact]
    public void SameSeedSameBytesDifferentSeedDifferentBytes()
    {
        var a = new SyntheticGenerator(seed: 42);
        var b = new SyntheticGenerator(seed: 42);
        var c = new SyntheticGenerator(seed: 43);
        for (int i = 0; i < 5; i++)
        {
            var x = a.Generate(i);
            var y = b.Generate(i);
            Assert.Equal(Hash(x), Hash(y));
            Assert.Equal(PngEncoder.Encode(x.Image), PngEncoder.Encode(y.Image));
            Assert.Equal((x.Question, x.Answer, x.GtBox), (y.Question, y.Answer, y.GtBox));
            Assert.NotEqual(Hash(x), Hash(c.Generate(i)));
        }
        // Items are independent of generation order.
        Assert.Equal(Hash(a.Generate(3)), Hash(new SyntheticGenerator(seed: 42).Generate(3)));
        Assert.NotEqual(Hash(a.Generate(0)), Hash(a.Generate(1)));
    }

    [Fact]
    public void LayoutGivesTheGeneratedItemsQuestionAndObjectsWithoutRendering()
    {
        var generator = new SyntheticGenerator(seed: 11);
        for (int i = 0; i < 20; i++)
        {
            var item = generator.Generate(i);
            var (question, objects) = generator.Layout(i);
            Assert.Equal(item.Question, question);
            Assert.Equal(item.Objects, objects);
        }
    }

    [Fact]
    public void PinnedItemGuardsAgainstAccidentalChanges()
    {
        // If this changes, existing splits can no longer be regenerated: bump a version instead.
        var item = new SyntheticGenerator(seed: 7).Generate(0);
        output.WriteLine($"{item.Family} | {item.Question} | {item.Answer} | {item.GtBox} | {Hash(item)}");
        Assert.Equal(448, item.Image.Width);
        Assert.Equal("7E3663186E3444CC", Hash(item));
    }

    [Fact]
    public void FamiliesBoxesAndAnswersFollowTheOptions()
    {
        var options = new SyntheticOptions
        {
            FamilyWeights = new Dictionary<string, double>
            {
                [QuestionFamily.GlyphByAttributes] = 2,
                [QuestionFamily.GlyphByRelation] = 1,
                [QuestionFamily.GlyphByExtreme] = 1,
            },
        };
        var generator = new SyntheticGenerator(options, seed: 11);
        var items = generator.Generate(0, 400).ToList();
        var counts = items.GroupBy(i => i.Family).ToDictionary(g => g.Key, g => g.Count());
        output.WriteLine(string.Join(", ", counts.Select(kv => $"{kv.Key}={kv.Value}")));
        Assert.InRange(counts[QuestionFamily.GlyphByAttributes], 160, 240);
        Assert.InRange(counts[QuestionFamily.GlyphByRelation], 70, 130);
        Assert.InRange(counts[QuestionFamily.GlyphByExtreme], 70, 130);
        double min = (double)options.MinObjectSize / options.SceneSize, max = (double)(options.MaxObjectSize + 2 * options.BoxPadding) / options.SceneSize;
        foreach (var item in items)
        {
            Assert.InRange(item.GtBox.Width, min - 1e-9, max + 1e-9);
            Assert.InRange(item.GtBox.Height, min - 1e-9, max + 1e-9);
            Assert.Single(item.Answer);
            Assert.Contains(item.Answer[0], options.Glyphs);
            Assert.Equal(item.Target.Glyph.ToString(), item.Answer);
            Assert.EndsWith("?", item.Question);
            // The GT box contains the target's glyph.
            var g = item.Target.GlyphBounds;
            Assert.True(g.X >= item.GtBox.X1 * 448 && g.Right <= item.GtBox.X2 * 448 && g.Y >= item.GtBox.Y1 * 448 && g.Bottom <= item.GtBox.Y2 * 448);
            Assert.Equal(item.Objects.Count, item.Objects.Select(o => o.Glyph).Distinct().Count());
        }
    }

    [Fact]
    public void QuestionsAreUnambiguous()
    {
        // Re-derives each answer from the scene and the question text alone.
        var generator = new SyntheticGenerator(seed: 5);
        var seen = new HashSet<string>();
        foreach (var item in generator.Generate(0, 300))
        {
            seen.Add(item.Family);
            var objects = item.Objects;
            SceneObject Unique(string description) => Assert.Single(objects, o => o.Describe() == description);
            string q = item.Question;
            if (item.Family == QuestionFamily.GlyphByAttributes)
            {
                string description = q["What character is on the ".Length..^1];
                Assert.Same(item.Target, Unique(description));
            }
            else if (item.Family == QuestionFamily.GlyphByRelation)
            {
                var match = System.Text.RegularExpressions.Regex.Match(q, "^What character is on the shape (left of|right of|above|below) the (.+)\\?$");
                Assert.True(match.Success, q);
                var a = Unique(match.Groups[2].Value).Bounds;
                var candidates = objects.Where(o =>
                {
                    var b = o.Bounds;
                    return match.Groups[1].Value switch
                    {
                        "left of" => b.Right <= a.X && b.Y < a.Bottom && a.Y < b.Bottom,
                        "right of" => b.X >= a.Right && b.Y < a.Bottom && a.Y < b.Bottom,
                        "above" => b.Bottom <= a.Y && b.X < a.Right && a.X < b.Right,
                        _ => b.Y >= a.Bottom && b.X < a.Right && a.X < b.Right,
                    };
                }).ToList();
                Assert.Same(item.Target, Assert.Single(candidates));
            }
            else
            {
                var match = System.Text.RegularExpressions.Regex.Match(q, "^What character is on the (leftmost|rightmost|topmost|bottommost) (.+)\\?$");
                Assert.True(match.Success, q);
                string noun = match.Groups[2].Value;
                var group = objects.Where(o => noun.EndsWith(" shape") ? o.Color.Name + " shape" == noun : ShapeNames.Of(o.Shape) == noun).ToList();
                Func<SceneObject, double> key = match.Groups[1].Value switch
                {
                    "leftmost" => o => -o.CenterX,
                    "rightmost" => o => o.CenterX,
                    "topmost" => o => -o.CenterY,
                    _ => o => o.CenterY,
                };
                var ordered = group.OrderByDescending(key).ToList();
                Assert.True(ordered.Count >= 2);
                Assert.Same(item.Target, ordered[0]);
                Assert.True(key(ordered[0]) - key(ordered[1]) >= generator.Options.ExtremeMargin);
            }
        }
        Assert.Equal(3, seen.Count);
    }

    [Fact]
    public void GlyphsAreLegibleInTheCropButNotGlobally()
    {
        var options = new SyntheticOptions();
        var items = new SyntheticGenerator(options, seed: 2024).Generate(0, 200).ToList();
        // Default scenes (448 px, glyph 10×14 px) are made for a 64 px model input: the glyph is
        // ~1.4×2 px in the global view. The reader knows the glyph's exact position, so residual
        // sub-pixel structure lifts it somewhat above chance; a crop still reads ~perfectly.
        var report = GlyphLegibility.Measure(items, options.Glyphs, 64);
        output.WriteLine(report.ToString());
        Assert.True(report.CropAccuracy >= 0.95, report.ToString());
        Assert.True(report.GlobalAccuracy <= 0.2, report.ToString());
        // Halving the glyph (scale 1) brings the global view closer to chance at the same input.
        var small = new SyntheticOptions { GlyphScale = 1 };
        var smallReport = GlyphLegibility.Measure(new SyntheticGenerator(small, seed: 2024).Generate(0, 200), small.Glyphs, 64);
        output.WriteLine("glyph scale 1: " + smallReport);
        Assert.True(smallReport.CropAccuracy >= 0.95, smallReport.ToString());
        Assert.True(smallReport.GlobalAccuracy <= 4 * smallReport.Chance, smallReport.ToString());
    }

    [Fact]
    public void ZoomViewsCenterOnTheFocus()
    {
        var item = new SyntheticGenerator(seed: 1).Generate(0);
        var views = SceneZoom.Render(item.Image, item.GtBox, [1, 2, 4], 64);
        Assert.Equal(3, views.Count);
        Assert.Equal(Box.Full, views[0].Window);
        Assert.All(views, v => Assert.Equal((64, 64), (v.Image.Width, v.Image.Height)));
        Assert.Equal(0.25, views[2].Window.Width, 2);
        Assert.True(BoxIou.Intersection(views[2].Window, item.GtBox) > 0);
    }

    private static string Hash(SyntheticItem item) => Convert.ToHexString(SHA256.HashData(item.Image.Pixels))[..16];
}
