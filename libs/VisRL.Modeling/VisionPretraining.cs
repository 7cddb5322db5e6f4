using System.Diagnostics;
using VisRL.Imaging;
using VisRL.Torch;
using VisRL.Torch.Modules;
using VisRL.Torch.Optimizers;
using static VisRL.Torch.torch;

namespace VisRL.Modeling;

/// <summary>One view for the vision stage: the image and its class (the answer glyph's token id, or <see cref="VisionPretraining.NoGlyph"/>).</summary>
public sealed record VisionExample(RgbImage View, int Label);

/// <summary>
/// The vision stage of M_org, before any decoder training (LLaVA starts from a pretrained vision
/// tower; ours is pretrained here, on the training split only). The ViT and the projector read a
/// crop and a throwaway linear head on the mean of its decoder-width image vectors (what a uniform attention hands the decoder) names the glyph
/// in it (or "no glyph" for a crop away from the target). This needs no attention routing in the
/// decoder and learns in a few hundred steps; afterwards the image vectors carry the glyph, so the
/// decoder's answer position gets a useful signal from the first step instead of sitting on the
/// "answer = prior" plateau until it finds the image by chance.
/// </summary>
public static class VisionPretraining
{
    /// <summary>Class of a view that shows no answer glyph (the head has VocabSize + 1 outputs).</summary>
    public const int NoGlyph = -1;

    /// <summary>Per scene: the exact GT crop, two jittered GT crops (as M_org's data), one crop away from the target.</summary>
    public static IReadOnlyList<VisionExample> Examples(Protocol protocol, IReadOnlyList<LabeledScene> scenes, int seed) =>
        Examples(protocol, i => scenes[(int)i], 0, scenes.Count, seed);

    public static IReadOnlyList<VisionExample> Examples(Protocol protocol, Imaging.Synthetic.SyntheticGenerator generator, long start, int count, int seed) =>
        Examples(protocol, i => LabeledScene.From(generator.Generate(i)), start, count, seed);

    private static IReadOnlyList<VisionExample> Examples(Protocol protocol, Func<long, LabeledScene> scene, long start, int count, int seed)
    {
        int size = protocol.Config.ImageSize;
        var perItem = new VisionExample[count][];
        Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, k =>
        {
            var item = scene(start + k);
            var rng = new Random(DeterministicSeed.Of(seed, start + k, 7));
            var answer = protocol.Tokenizer.Encode(item.Answer);
            int label = answer.Length == 1 ? answer[0] : throw new ArgumentException($"answer '{item.Answer}' is not one token");
            perItem[k] =
            [
                new(Views.Crop(item.Image, item.GtBox, size), label),
                new(Views.Crop(item.Image, SyntheticData.Jitter(item.GtBox, rng, 0.25, 0.9, 1.8), size), label),
                new(Views.Crop(item.Image, SyntheticData.Jitter(item.GtBox, rng, 0.1, 0.95, 1.3), size), label),
                new(Views.Crop(item.Image, SyntheticData.OffTarget(item.GtBox, rng), size), NoGlyph),
            ];
        });
        return [.. perItem.SelectMany(x => x)];
    }

    /// <summary>
    /// Trains the vision tower and the projector (the decoder is untouched) with AdamW and a cosine
    /// schedule; batches are a pure function of (seed, step). Reports <see cref="TrainingMetrics"/>
    /// (loss = the two heads' cross-entropies summed) every LogEvery steps.
    /// </summary>
    public static TrainingResult Run(VisRLTiny model, TrainerConfig config, IReadOnlyList<VisionExample> examples,
        Action<TrainingMetrics>? onMetrics = null, CancellationToken cancellation = default)
    {
        if (examples.Count == 0) throw new ArgumentException("no vision examples");
        var c = model.Config;
        using var head = new Linear(c.Dim, c.VocabSize + 1);
        using var stemHead = new Linear(c.VisionDim, c.VocabSize + 1);
        head.to(model.Model.Device);
        stemHead.to(model.Model.Device);
        var tower = model.Model.named_parameters().Where(p => IsVisionSide(p.name)).Select(p => p.parameter).ToList();
        var trained = tower.Concat(head.parameters()).Concat(stemHead.parameters()).ToList();
        using var optimizer = optim.AdamW([new ParamGroup(trained.Where(p => p.dim() >= 2).ToList(), config.WeightDecay), new ParamGroup(trained.Where(p => p.dim() < 2).ToList(), 0.0)],
            lr: config.LearningRate, beta2: 0.98);
        var schedule = optim.lr_scheduler.CosineWithWarmup(optimizer, Math.Min(config.WarmupSteps, config.Steps), config.Steps, minRatio: 0.05);
        model.Model.train();
        var clock = Stopwatch.StartNew();
        var window = Stopwatch.StartNew();
        double windowLoss = 0, lastLoss = double.NaN, gradNorm = 0;
        int windowSteps = 0;
        long samples = 0, windowSamples = 0;
        for (int step = 1; step <= config.Steps; step++)
        {
            cancellation.ThrowIfCancellationRequested();
            using (NewDisposeScope())
            {
                var rng = new Random(DeterministicSeed.Of(config.Seed, step, 0));
                var batch = Enumerable.Range(0, config.BatchSize).Select(_ => examples[rng.Next(examples.Count)]).ToList();
                var images = Batch.ImageTensor([.. batch.Select(e => e.View)], c.ImageSize, model.Model.Device);
                var labels = tensor([.. batch.Select(e => (long)(e.Label == NoGlyph ? c.VocabSize : e.Label))], [batch.Count], model.Model.Device);
                optimizer.zero_grad();
                var vectors = model.Model.ImageVectors(images, out var stem);
                // The stem's own head (max over the patch grid) gives the convolutions a short gradient path:
                // they learn the glyphs first, and the head on the image vectors makes the blocks and projector carry them.
                var loss = nn.functional.cross_entropy(head.call(vectors.mean([1])), labels)
                           + nn.functional.cross_entropy(stemHead.call(stem.flatten(2).amax(2)), labels);
                loss.backward();
                gradNorm = config.ClipNorm > 0 ? nn.utils.clip_grad_norm_(trained, config.ClipNorm) : 0;
                optimizer.step();
                schedule.step();
                lastLoss = loss.item<float>();
            }
            samples += config.BatchSize;
            windowSamples += config.BatchSize;
            windowLoss += lastLoss;
            windowSteps++;
            if (step % Math.Max(1, config.LogEvery) == 0 || step == config.Steps)
            {
                onMetrics?.Invoke(new TrainingMetrics(config.Phase, step, config.Steps, windowLoss / windowSteps, optimizer.LearningRate, gradNorm,
                    windowSamples / Math.Max(1e-9, window.Elapsed.TotalSeconds), clock.Elapsed.TotalSeconds, samples));
                (windowLoss, windowSteps, windowSamples) = (0, 0, 0);
                window.Restart();
            }
        }
        model.Model.eval();
        return new TrainingResult(config.Steps, 0, lastLoss, clock.Elapsed.TotalSeconds, samples);
    }

    /// <summary>Weights of the vision tower and the projector (state-dict names).</summary>
    public static bool IsVisionSide(string name) =>
        name.StartsWith("vision.", StringComparison.Ordinal) || name.StartsWith("proj1.", StringComparison.Ordinal) || name.StartsWith("proj2.", StringComparison.Ordinal);
}
