using static VisRL.Torch.torch;

namespace VisRL.Modeling.Tests;

public sealed class CheckpointTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "visrl-modeling-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, true);
    }

    [Fact]
    public void SaveThenLoadGivesIdenticalOutputsAndTheSameContentHash()
    {
        using var m = Tiny.Model(seed: 10);
        var folder = Path.Combine(_dir, "a");
        var hash = ModelCheckpoint.Save(m, folder);
        Assert.Equal(64, hash.Length);
        using var loaded = ModelCheckpoint.Load(folder);
        var items = Tiny.Scenes.Take(3).Select(i => new BoxItem(i.Image, i.Question, i.GtBox)).ToList();
        Assert.Equal(m.BoxLogProbValues(items), loaded.BoxLogProbValues(items));
        var requests = Tiny.Scenes.Take(3).Select(i => new BoxRequest(i.Image, i.Question)).ToList();
        Assert.Equal(m.GenerateBox(requests).Select(b => b.Text), loaded.GenerateBox(requests).Select(b => b.Text));
        Assert.Equal(hash, ModelCheckpoint.Save(loaded, Path.Combine(_dir, "b")));
        using var other = Tiny.Model(seed: 11);
        Assert.NotEqual(hash, ModelCheckpoint.Save(other, Path.Combine(_dir, "c")));
    }

    [Fact]
    public void ACorruptWeightsFileIsReportedByName()
    {
        using var m = Tiny.Model();
        var folder = Path.Combine(_dir, "corrupt");
        ModelCheckpoint.Save(m, folder);
        var weights = Path.Combine(folder, ModelCheckpoint.WeightsFile);
        var bytes = File.ReadAllBytes(weights);
        bytes[^10] ^= 0x5A;
        File.WriteAllBytes(weights, bytes);
        var error = Assert.Throws<CheckpointException>(() => ModelCheckpoint.Load(folder));
        Assert.EndsWith(ModelCheckpoint.WeightsFile, error.File);
        Assert.Contains("corrupt", error.Message);
    }

    [Fact]
    public void WeightsThatDoNotFitTheConfigAreReportedByName()
    {
        using var small = Tiny.Model();
        var folder = Path.Combine(_dir, "mismatch");
        ModelCheckpoint.Save(small, folder);
        // A consistent manifest over a config of another width: the hashes pass, the shapes do not.
        File.WriteAllText(Path.Combine(folder, ModelCheckpoint.ConfigFile), (small.Config with { Dim = 48 }).ToJson());
        ModelCheckpoint.WriteManifest(folder);
        var error = Assert.Throws<CheckpointException>(() => ModelCheckpoint.Load(folder));
        Assert.EndsWith(ModelCheckpoint.WeightsFile, error.File);
        Assert.Contains("does not match config.json", error.Message);
        Assert.Contains("wte", error.Message);
    }

    [Fact]
    public void ATokenizerOfAnotherVocabularyIsReportedByName()
    {
        using var m = Tiny.Model();
        var folder = Path.Combine(_dir, "vocab");
        ModelCheckpoint.Save(m, folder);
        Tokenizer.ForSyntheticBenchmark(locationBins: 32).Save(Path.Combine(folder, ModelCheckpoint.TokenizerFile));
        ModelCheckpoint.WriteManifest(folder);
        var error = Assert.Throws<CheckpointException>(() => ModelCheckpoint.Load(folder));
        Assert.EndsWith(ModelCheckpoint.TokenizerFile, error.File);
        Assert.Contains("vocab_size", error.Message);
    }

    [Fact]
    public void AMissingManifestMeansNoCheckpoint()
    {
        Directory.CreateDirectory(_dir);
        var error = Assert.Throws<CheckpointException>(() => ModelCheckpoint.Load(_dir));
        Assert.EndsWith(ModelCheckpoint.ManifestFile, error.File);
    }
}
