using VisRL.Imaging;
using VisRL.Torch;
using VisRL.Torch.Modules;
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
    /// Trains the vision tower and the projector (the decoder is untouched) with the <see cref="Trainer"/>
    /// (AdamW, cosine schedule, batches a pure function of (seed, step)); the reported loss is the two
    /// heads' cross-entropies summed.
    /// </summary>
    public static TrainingResult Run(VisRLTiny model, TrainerConfig config, IReadOnlyList<VisionExample> examples,
        Action<TrainingMetrics>? onMetrics = null, CancellationToken cancellation = default)
    {
        if (examples.Count == 0) throw new ArgumentException("no vision examples");
        using var objective = new VisionObjective(model, examples, config.Seed);
        return new Trainer(model, config, objective) { OnMetrics = onMetrics }.Run(cancellation);
    }

    /// <summary>Weights of the vision tower and the projector (state-dict names).</summary>
    public static bool IsVisionSide(string name) =>
        name.StartsWith("vision.", StringComparison.Ordinal) || name.StartsWith("proj1.", StringComparison.Ordinal) || name.StartsWith("proj2.", StringComparison.Ordinal);
}

/// <summary>
/// The vision stage's loss: a throwaway linear head on the mean of a view's decoder-width image
/// vectors names its glyph class, and a second head on the stem's feature map (max over the patch
/// grid) gives the convolutions a short gradient path — they learn the glyphs first, and the first
/// head makes the blocks and projector carry them. Trains the tower, the projector and both heads.
/// </summary>
internal sealed class VisionObjective : ITrainingObjective, IDisposable
{
    private readonly VisRLTiny _model;
    private readonly IReadOnlyList<VisionExample> _examples;
    private readonly Linear _head, _stemHead;

    /// <param name="headSeed">Seeds the heads' initial weights, so the stage repeats whatever libtorch's generator drew before it.</param>
    public VisionObjective(VisRLTiny model, IReadOnlyList<VisionExample> examples, long headSeed)
    {
        _model = model;
        _examples = examples;
        var c = model.Config;
        manual_seed(headSeed);
        _head = new Linear(c.Dim, c.VocabSize + 1);
        _stemHead = new Linear(c.VisionDim, c.VocabSize + 1);
        _head.to(model.Model.Device);
        _stemHead.to(model.Model.Device);
        Parameters = [.. model.Model.named_parameters().Where(p => VisionPretraining.IsVisionSide(p.name)).Select(p => p.parameter),
            .. _head.parameters(), .. _stemHead.parameters()];
    }

    public int Count => _examples.Count;

    public IReadOnlyList<Tensor> Parameters { get; }

    public Tensor Loss(IReadOnlyList<int> indices, IDictionary<string, double> values)
    {
        var c = _model.Config;
        var batch = indices.Select(i => _examples[i]).ToList();
        var images = Batch.ImageTensor([.. batch.Select(e => e.View)], c.ImageSize, _model.Model.Device);
        var labels = tensor([.. batch.Select(e => (long)(e.Label == VisionPretraining.NoGlyph ? c.VocabSize : e.Label))], [batch.Count], _model.Model.Device);
        var vectors = _model.Model.ImageVectors(images, out var stem);
        return nn.functional.cross_entropy(_head.call(vectors.mean([1])), labels)
               + nn.functional.cross_entropy(_stemHead.call(stem.flatten(2).amax(2)), labels);
    }

    public void Dispose()
    {
        _head.Dispose();
        _stemHead.Dispose();
    }
}
