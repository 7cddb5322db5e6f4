using System.Diagnostics;
using VisRL.Imaging;
using VisRL.Imaging.Geometry;
using static VisRL.Torch.torch;

namespace VisRL.Modeling;

public sealed record LocalizationProbeOptions
{
    public int Steps { get; init; } = 600;
    public int Items { get; init; } = 3000;
    public int TestItems { get; init; } = 200;
    public int BatchSize { get; init; } = 16;
    public double LearningRate { get; init; } = 2e-3;
    public long Seed { get; init; } = 1;
}

/// <param name="FirstTokenNll">Teacher-forced NLL (nats) of the box's first location token (x1) on the test items.</param>
/// <param name="BlindEntropy">The best a model blind to the image can do: the entropy of x1's marginal over the training labels.</param>
/// <param name="UniformEntropy">ln(location bins): a model that learned nothing.</param>
public sealed record LocalizationProbeResult(string Task, int Steps, double LearningRate, double FirstTokenNll, double BlindEntropy, double UniformEntropy,
    double Detection, double Seconds);

/// <summary>
/// Can the model learn to point? A fresh model is trained on turn 1 alone (global view + question →
/// box) and the first box token's NLL is compared with what a model blind to the image reaches. The
/// SFT box loss sat at that level (issue 5); this isolates the question from reading, data and time.
/// </summary>
public static class LocalizationProbe
{
    private static readonly Rgb Background = new(232, 230, 224), Red = new(225, 60, 55);

    /// <summary>The easiest localization task: one red square (36–52 px) on a flat 448 px scene; its box with the benchmark's 2 px padding.</summary>
    public static LabeledScene SingleSquare(int index, int sceneSize = 448)
    {
        var rng = new Random(DeterministicSeed.Of(17, index));
        int size = rng.Next(36, 53), x = rng.Next(4, sceneSize - size - 4), y = rng.Next(4, sceneSize - size - 4);
        var image = RgbImage.Filled(sceneSize, sceneSize, Background);
        Draw.FillRect(image, new PixelRect(x, y, size, size), Red);
        var box = Box.FromPixels(x - 2, y - 2, x + size + 2, y + size + 2, sceneSize, sceneSize).Clamp();
        return new LabeledScene(image, "What character is on the red square ?", "A", box, "single_square");
    }

    /// <summary>Entropy (nats) of the empirical distribution of <paramref name="labels"/>.</summary>
    public static double MarginalEntropy(IEnumerable<int> labels)
    {
        var counts = labels.GroupBy(l => l).Select(g => (double)g.Count()).ToList();
        double total = counts.Sum();
        return counts.Sum(c => -c / total * Math.Log(c / total));
    }

    public static LocalizationProbeResult Run(string task, Func<int, LabeledScene> scene, LocalizationProbeOptions o)
    {
        var clock = Stopwatch.StartNew();
        using var model = VisRLTiny.Create(new ModelConfig { FocusDim = 0 }, seed: o.Seed); // the decoder alone: what the probe asks about
        var train = Enumerable.Range(0, o.Items).AsParallel().AsOrdered().Select(scene).ToList();
        var test = Enumerable.Range(o.Items, o.TestItems).Select(scene).ToList();
        var examples = train.Select(s => Turn1(model, s)).ToList();
        new Trainer(model, new TrainerConfig { Phase = "localize", Steps = o.Steps, BatchSize = o.BatchSize, LearningRate = o.LearningRate, Seed = o.Seed, LogEvery = o.Steps }, examples).Run();

        double nll = FirstTokenNll(model, test);
        var boxes = model.GenerateBox([.. test.Select(s => new BoxRequest(s.Image, s.Question))]);
        double detection = test.Select((s, i) => boxes[i].Box is { } b && BoxIou.IsHit(b, s.GtBox) ? 1.0 : 0.0).Average();
        var bins = train.Select(s => model.Tokenizer.EncodeBox(s.GtBox)[0] - model.Tokenizer.FirstLocId);
        return new LocalizationProbeResult(task, o.Steps, o.LearningRate, nll, MarginalEntropy(bins), Math.Log(model.Tokenizer.LocationBins), detection, clock.Elapsed.TotalSeconds);
    }

    /// <summary>Mean teacher-forced NLL (nats) of the GT box's first token (x1) given global view and question.</summary>
    public static double FirstTokenNll(VisRLTiny model, IReadOnlyList<LabeledScene> scenes)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var batch = Batch.Build([.. scenes.Select(s => Turn1(model, s))], model.Config, model.Tokenizer.PadId, model.Model.Device);
        var logProbs = Losses.TokenLogProbs(model.Model.forward(batch.Input), batch.Targets);
        var first = batch.ResponseMask.argmax(1, keepdim: true); // each row's first response position predicts x1
        return -logProbs.gather(1, first).mean().item<float>();
    }

    /// <summary>Turn 1 with the GT box as its response.</summary>
    private static TokenSequence Turn1(VisRLTiny model, LabeledScene scene) =>
        model.Protocol.BoxTurn(model.GlobalView(scene.Image), scene.Question, scene.GtBox);
}
