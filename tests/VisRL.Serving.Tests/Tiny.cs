using VisRL.DataGeneration;
using VisRL.Imaging;
using VisRL.Imaging.Synthetic;
using VisRL.Modeling;

namespace VisRL.Serving.Tests;

/// <summary>A tiny random VisRL-Tiny and synthetic scenes: an untrained model gives random boxes and answers, which is what the mapping tests need.</summary>
internal static class Tiny
{
    public static ModelConfig Config => TinyModel.Config;

    public static VisRLTiny Model(long seed = 0) => VisRLTiny.Create(Config, seed: seed);

    private static readonly Lazy<List<SyntheticItem>> Scenes = new(() => new SyntheticGenerator(seed: 7).Generate(0, 4).ToList());

    public static IReadOnlyList<SyntheticItem> Items => Scenes.Value;

    public static List<SampleItem> SampleItems(int count = 3) => [.. Items.Take(count).Select((s, i) => new SampleItem(100 + i, s.Image, s.Question))];

    public static RgbImage Image(int width, int height)
    {
        var image = new RgbImage(width, height);
        for (int i = 0; i < image.Pixels.Length; i++) image.Pixels[i] = (byte)(i * 7);
        return image;
    }

    public static string DataUrl(RgbImage image) => "data:image/png;base64," + Convert.ToBase64String(ImageCodec.EncodePng(image));
}
