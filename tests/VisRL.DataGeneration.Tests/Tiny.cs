using VisRL.Imaging.Synthetic;
using VisRL.Modeling;

namespace VisRL.DataGeneration.Tests;

/// <summary>A tiny random VisRL-Tiny and a few synthetic scenes: an untrained model samples random boxes and answers, which is what the plumbing tests need.</summary>
internal static class Tiny
{
    public static ModelConfig Config => TinyModel.Config;

    public static VisRLTiny Model(long seed = 0) => VisRLTiny.Create(Config, seed: seed);

    private static readonly Lazy<List<SyntheticItem>> Scenes = new(() => new SyntheticGenerator(seed: 7).Generate(0, 6).ToList());

    public static IReadOnlyList<SyntheticItem> Items => Scenes.Value;

    public static List<SampleItem> SampleItems(int count = 3) => [.. Items.Take(count).Select((s, i) => new SampleItem(100 + i, s.Image, s.Question))];
}
