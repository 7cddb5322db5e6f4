using VisRL.Torch;
using static VisRL.Torch.torch;

namespace VisRL.Modeling.Tests;

public sealed class VisionPretrainingTests
{
    private static readonly ModelConfig Config = Tiny.Config with { ImageSize = 32, Dim = 64, VisionDim = 64, Heads = 4, VisionHeads = 4, MaxSequence = 80 };

    [Fact]
    public void TheVisionStageReducesItsLossAndLeavesTheDecoderAlone()
    {
        using var m = Tiny.Model(seed: 30, Config);
        var scenes = Tiny.Scenes.Select(LabeledScene.From).ToList();
        var examples = VisionPretraining.Examples(m.Protocol, scenes, seed: 1);
        Assert.Equal(4 * scenes.Count, examples.Count);
        Assert.Equal(scenes.Count, examples.Count(e => e.Label == VisionPretraining.NoGlyph));

        var before = m.Model.named_parameters().ToDictionary(p => p.name, p => Tiny.Floats(p.parameter));
        var losses = new List<double>();
        VisionPretraining.Run(m, new TrainerConfig { Phase = "vision", Steps = 60, BatchSize = 16, LearningRate = 3e-3, WarmupSteps = 5, WeightDecay = 0, LogEvery = 10 },
            examples, metrics => losses.Add(metrics.Loss));
        Assert.Equal(6, losses.Count);
        Assert.True(losses[^1] < 0.6 * losses[0], $"losses {string.Join(", ", losses.Select(l => l.ToString("F3")))}");

        foreach (var (name, parameter) in m.Model.named_parameters())
        {
            bool changed = !before[name].SequenceEqual(Tiny.Floats(parameter));
            Assert.True(changed == VisionPretraining.IsVisionSide(name), $"{name}: changed {changed}");
        }
    }

    [Fact]
    public void TheStemIsPartOfTheConfigAndOldConfigsMeanTheStridedStem()
    {
        var pooled = Config with { VocabSize = 100, LocationBins = 8, FirstLocationToken = 10 };
        Assert.Equal(ModelConfig.PooledStem, pooled.Stem);
        Assert.Equal(pooled, ModelConfig.FromJson(pooled.ToJson()));
        var strided = pooled with { Stem = ModelConfig.StridedStem };
        Assert.Equal(strided, ModelConfig.FromJson(strided.ToJson()));

        // config.json written before the field existed: the stem those checkpoints were trained with.
        var legacy = pooled.ToJson().Replace("\"stem\": \"pooled\",", "", StringComparison.Ordinal);
        Assert.DoesNotContain("stem", legacy, StringComparison.Ordinal);
        Assert.Equal(ModelConfig.StridedStem, ModelConfig.FromJson(legacy).Stem);
        Assert.Throws<ArgumentException>(() => (pooled with { Stem = "other" }).Validate());
    }

    [Fact]
    public void BothStemsMakeThePatchGrid()
    {
        foreach (var stem in new[] { ModelConfig.PooledStem, ModelConfig.StridedStem })
        {
            using var m = Tiny.Model(seed: 31, Config with { Stem = stem });
            using var scope = NewDisposeScope();
            var images = Batch.ImageTensor([Tiny.Noise(32, 1), Tiny.Noise(32, 2)], 32, m.Model.Device);
            var vectors = m.Model.EncodeImages(images);
            Assert.Equal(new long[] { 2, m.Config.ImageTokens, m.Config.Dim }, vectors.shape);
        }
    }
}
