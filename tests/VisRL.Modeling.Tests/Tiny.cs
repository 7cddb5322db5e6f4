using VisRL.Imaging;
using VisRL.Imaging.Synthetic;
using VisRL.Torch;
using static VisRL.Torch.torch;

namespace VisRL.Modeling.Tests;

/// <summary>Tiny models and inputs that keep each test at seconds on 2 cores.</summary>
internal static class Tiny
{
    public static ModelConfig Config => TinyModel.Config;

    public static VisRLTiny Model(long seed = 0, ModelConfig? config = null) => VisRLTiny.Create(config ?? Config, seed: seed);

    private static readonly Lazy<List<SyntheticItem>> Items = new(() => new SyntheticGenerator(seed: 7).Generate(0, 8).ToList());

    public static IReadOnlyList<SyntheticItem> Scenes => Items.Value;

    /// <summary>A few prompts of different lengths (different questions), so batches need padding.</summary>
    public static List<TokenSequence> Prompts(VisRLTiny m, int count = 3) =>
        [.. Scenes.Take(count).Select(i => m.Protocol.BoxTurn(m.GlobalView(i.Image), i.Question))];

    public static RgbImage Noise(int size, int seed)
    {
        var rng = new Random(seed);
        var image = new RgbImage(size, size);
        rng.NextBytes(image.Pixels);
        return image;
    }

    public static float[] Floats(Tensor t) => t.to(ScalarType.Float32).cpu().contiguous().ToArray<float>();
}
