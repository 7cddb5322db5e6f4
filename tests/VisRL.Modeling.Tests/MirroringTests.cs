using System.Text.RegularExpressions;
using VisRL.Imaging.Geometry;
using VisRL.Imaging.Synthetic;

namespace VisRL.Modeling.Tests;

public sealed class MirroringTests
{
    [Theory]
    [InlineData("What character is on the leftmost purple shape?", "What character is on the rightmost purple shape?")]
    [InlineData("What character is on the shape right of the green circle?", "What character is on the shape left of the green circle?")]
    [InlineData("Left or Right? the RIGHTMOST one", "Right or Left? the LEFTMOST one")]
    [InlineData("What character is on the shape above the topmost circle?", "What character is on the shape above the topmost circle?")]
    [InlineData("the leftover rightward box", "the leftover rightward box")]
    public void QuestionsSwapLeftAndRightAsWholeWordsKeepingTheirCase(string question, string mirrored)
    {
        Assert.Equal(mirrored, Mirroring.Question(question));
        Assert.Equal(question, Mirroring.Question(mirrored));
    }

    [Fact]
    public void BoxesFlipAboutTheVerticalCenterLine()
    {
        var box = new Box(0.1, 0.2, 0.35, 0.6);
        var mirrored = Mirroring.Box(box);
        Assert.Equal(new Box(0.65, 0.2, 0.9, 0.6), mirrored, (a, b) => BoxIou.Iou(a, b) > 1 - 1e-9);
        Assert.Equal(box, Mirroring.Box(mirrored), (a, b) => BoxIou.Iou(a, b) > 1 - 1e-9);
    }

    [Fact]
    public void AMirroredSceneAsksAboutTheSameObjectWhereTheMirrorPutsIt()
    {
        int sided = 0;
        foreach (var item in new SyntheticGenerator(seed: 11).Generate(0, 60))
        {
            var scene = LabeledScene.From(item);
            var mirror = Mirroring.Scene(scene);
            int w = scene.Image.Width;
            for (int y = 0; y < scene.Image.Height; y += 7)
                for (int x = 0; x < w; x += 5)
                    Assert.Equal(scene.Image[x, y], mirror.Image[w - 1 - x, y]);
            Assert.Equal(scene.Answer, mirror.Answer);

            var objects = mirror.Objects!;
            // The GT box is the target's bounds with a padding: the object it fits best.
            var target = objects.MaxBy(o => BoxIou.Iou(o.Bounds.ToBox(w, mirror.Image.Height), mirror.GtBox))!;
            Assert.True(BoxIou.Iou(target.Bounds.ToBox(w, mirror.Image.Height), mirror.GtBox) > 0.5);
            Assert.Equal(scene.Objects!.Count, objects.Count);
            if (Regex.Match(mirror.Question, @"the (leftmost|rightmost) (.+)\?") is { Success: true } extreme)
            {
                sided++;
                string noun = extreme.Groups[2].Value;
                var members = objects.Where(o => ShapeNames.Of(o.Shape) == noun || $"{o.Color.Name} shape" == noun).ToList();
                double edge = extreme.Groups[1].Value == "leftmost" ? members.Min(o => o.CenterX) : members.Max(o => o.CenterX);
                Assert.True(target.CenterX == edge, $"{mirror.Question}: the target's center {target.CenterX} is not the {extreme.Groups[1].Value} of its {members.Count} ({edge})");
            }
            else if (Regex.Match(mirror.Question, @"the shape (left|right) of the (\w+) (\w+)\?") is { Success: true } relation)
            {
                sided++;
                var anchor = objects.Single(o => o.Color.Name == relation.Groups[2].Value && ShapeNames.Of(o.Shape) == relation.Groups[3].Value);
                Assert.True(relation.Groups[1].Value == "left" ? target.Bounds.Right <= anchor.Bounds.X : target.Bounds.X >= anchor.Bounds.Right,
                    $"{mirror.Question}: the target [{target.Bounds}] is not {relation.Groups[1].Value} of the anchor [{anchor.Bounds}]");
            }
        }
        Assert.True(sided >= 10, $"only {sided} of 60 scenes ask a sided question");
    }

    [Fact]
    public void FocusExamplesWithMirrorsAddEachScenesMirrorAfterTheScenes()
    {
        using var m = Tiny.Model();
        var scenes = Tiny.Scenes.Select(LabeledScene.From).ToList();
        var plain = FocusTraining.Examples(m.Protocol, scenes);
        var both = FocusTraining.Examples(m.Protocol, scenes, mirrored: true);
        Assert.Equal(2 * scenes.Count, both.Count);
        for (int i = 0; i < scenes.Count; i++)
        {
            Assert.Equal(plain[i].Question, both[i].Question);
            Assert.Equal(Mirroring.Box(scenes[i].GtBox), both[scenes.Count + i].GtBox);
            Assert.Equal(m.Protocol.FocusWords(m.Tokenizer.Encode(Mirroring.Question(scenes[i].Question))), both[scenes.Count + i].Question);
            Assert.Equal(plain[i].Objects!.Select(o => Math.Round(1 - o.CenterX, 9)), both[scenes.Count + i].Objects!.Select(o => Math.Round(o.CenterX, 9)));
        }
    }

    [Fact]
    public void SftSequencesWithMirrorsSeeTurnOneMirroredAndTurnTwosCropAsItIs()
    {
        using var m = Tiny.Model();
        var scenes = Tiny.Scenes.Select(LabeledScene.From).ToList();
        var plain = SyntheticData.SftExamples(m.Protocol, scenes, seed: 2);
        var both = SyntheticData.SftExamples(m.Protocol, scenes, seed: 2, mirrored: true);
        Assert.Equal(2 * scenes.Count, both.Count);
        for (int i = 0; i < scenes.Count; i++)
        {
            Assert.Equal(plain[i].Tokens, both[i].Tokens);
            var mirror = Mirroring.Scene(scenes[i]);
            var mirrored = both[scenes.Count + i];
            var crop = plain[i].Images[1];
            Assert.Equal(m.Protocol.AnswerTurn(m.GlobalView(mirror.Image), mirror.Question, mirror.GtBox, crop, scenes[i].Answer, boxIsResponse: true).Tokens, mirrored.Tokens);
            Assert.Equal(m.GlobalView(mirror.Image).Pixels, mirrored.Images[0].Pixels);
            Assert.Equal(crop.Pixels, mirrored.Images[1].Pixels); // the glyph as it reads
            Assert.Equal(Mirroring.Box(scenes[i].GtBox), mirrored.Focus!.Box);
        }
    }
}
