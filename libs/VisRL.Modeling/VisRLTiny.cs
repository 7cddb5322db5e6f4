using VisRL.Imaging;
using VisRL.Imaging.Geometry;
using VisRL.Torch;
using static VisRL.Torch.torch;

namespace VisRL.Modeling;

/// <summary>Turn 1 input: the full-resolution scene and the question; Seed drives sampling.</summary>
public sealed record BoxRequest(RgbImage Scene, string Question, int Seed = 0);

/// <summary>Turn 2 input: scene, question and the box whose crop is re-encoded; Crop overrides the crop view (model input size).</summary>
public sealed record AnswerRequest(RgbImage Scene, string Question, Box Box, int Seed = 0, RgbImage? Crop = null);

/// <summary>A scored box response.</summary>
public sealed record BoxItem(RgbImage Scene, string Question, Box Box);

/// <summary>A scored answer response after a box (and its crop, computed from the box when null).</summary>
public sealed record AnswerItem(RgbImage Scene, string Question, Box Box, string Answer, RgbImage? Crop = null);

/// <summary>One answer to score without CoT: a view (a crop for the critic, or any image) and the question.</summary>
public sealed record ViewItem(RgbImage Image, string Question, string Answer);

/// <summary>A generated box: the VisCoT text, the parsed box (null when the text is no box), the tokens.</summary>
public sealed record BoxOutput(string Text, Box? Box, int[] Tokens);

/// <summary>
/// VisRL-Tiny as later services use it: the model with its tokenizer and protocol, the two-turn
/// visual CoT, batched generation with per-request seeds, and the log-probabilities DPO and the
/// critic need. Scenes are full resolution; views are made here (global: downscaled scene;
/// crop: the box cut from the full-resolution scene, resized to the input).
/// </summary>
public sealed class VisRLTiny : IDisposable
{
    public VisRLTiny(ModelConfig config, Tokenizer tokenizer, TinyVlm? model = null)
    {
        if (config.VocabSize != tokenizer.VocabSize)
            throw new ArgumentException($"config VocabSize {config.VocabSize} differs from the tokenizer's {tokenizer.VocabSize}");
        if (config.CoordinateFrequencies > 0 && (config.LocationBins != tokenizer.LocationBins || config.FirstLocationToken != tokenizer.FirstLocId))
            throw new ArgumentException($"config location tokens ({config.LocationBins} from id {config.FirstLocationToken}) differ from the tokenizer's ({tokenizer.LocationBins} from id {tokenizer.FirstLocId})");
        Config = config;
        Tokenizer = tokenizer;
        Model = model ?? new TinyVlm(config);
        Protocol = new Protocol(tokenizer, config);
    }

    /// <summary>A fresh model for the benchmark vocabulary; <paramref name="seed"/> seeds libtorch's generator for the initial weights.</summary>
    public static VisRLTiny Create(ModelConfig? config = null, Tokenizer? tokenizer = null, long seed = 0)
    {
        tokenizer ??= Tokenizer.ForSyntheticBenchmark();
        config = (config ?? new ModelConfig()) with { VocabSize = tokenizer.VocabSize, LocationBins = tokenizer.LocationBins, FirstLocationToken = tokenizer.FirstLocId };
        manual_seed(seed);
        return new VisRLTiny(config, tokenizer);
    }

    public ModelConfig Config { get; }
    public Tokenizer Tokenizer { get; }
    public TinyVlm Model { get; }
    public Protocol Protocol { get; }

    public RgbImage GlobalView(RgbImage scene) => Views.Global(scene, Config.ImageSize);

    public RgbImage CropView(RgbImage scene, Box box) => Views.Crop(scene, box, Config.ImageSize);

    // ---- log-probabilities (summed over response tokens; prompt and padding masked) ----

    /// <summary>
    /// Σ log p over the response tokens of each sequence, (B), with gradients when grad mode is on; a
    /// response box also counts log p of its focus cell (the box's latent first step, see TinyVlm).
    /// </summary>
    public Tensor SequenceLogProbs(IReadOnlyList<TokenSequence> sequences)
    {
        var batch = Batch.Build(sequences, Config, Tokenizer.PadId, Model.Device);
        var logits = Model.forward(batch.Input, null, out var cells);
        return Losses.SequenceLogProbs(logits, batch.Targets, batch.ResponseMask, cells, batch.CellResponse);
    }

    /// <summary>Stage-1 DPO quantity: log p(focus cell, box tokens, &lt;eos&gt; | global image, question).</summary>
    public Tensor BoxLogProbs(IReadOnlyList<BoxItem> items) =>
        SequenceLogProbs([.. items.Select(i => Protocol.BoxTurn(GlobalView(i.Scene), i.Question, i.Box))]);

    /// <summary>Stage-2 DPO quantity: log p(answer tokens, &lt;eos&gt; | global image, question, box, crop).</summary>
    public Tensor AnswerLogProbs(IReadOnlyList<AnswerItem> items) =>
        SequenceLogProbs([.. items.Select(i => Protocol.AnswerTurn(GlobalView(i.Scene), i.Question, i.Box, i.Crop ?? CropView(i.Scene, i.Box), i.Answer))]);

    /// <summary>No-CoT log p(answer, &lt;eos&gt; | view, question).</summary>
    public Tensor NoCotLogProbs(IReadOnlyList<ViewItem> items) =>
        SequenceLogProbs([.. items.Select(i => Protocol.NoCot(Fit(i.Image), i.Question, i.Answer))]);

    /// <summary>The critic's s_b: P(standard answer | crop alone, question) under this (base) model, without gradients.</summary>
    public double[] AnswerProbability(IReadOnlyList<ViewItem> items, int batchSize = 64)
    {
        var result = new List<double>(items.Count);
        using var noGrad = no_grad();
        foreach (var chunk in items.Chunk(batchSize))
        {
            using var scope = NewDisposeScope();
            result.AddRange(NoCotLogProbs(chunk).exp().to(ScalarType.Float64).cpu().ToArray<double>());
        }
        return [.. result];
    }

    /// <summary><see cref="BoxLogProbs"/> as numbers, without gradients.</summary>
    public double[] BoxLogProbValues(IReadOnlyList<BoxItem> items) => Values(() => BoxLogProbs(items));

    /// <summary><see cref="AnswerLogProbs"/> as numbers, without gradients.</summary>
    public double[] AnswerLogProbValues(IReadOnlyList<AnswerItem> items) => Values(() => AnswerLogProbs(items));

    private static double[] Values(Func<Tensor> compute)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        return compute().to(ScalarType.Float64).cpu().ToArray<double>();
    }

    // ---- generation ----

    /// <summary>Turn 1 for a batch: box text per request. <paramref name="constrained"/> allows only well-formed boxes (4 ordered location tokens, then &lt;eos&gt;).</summary>
    public IReadOnlyList<BoxOutput> GenerateBox(IReadOnlyList<BoxRequest> requests, SamplingOptions? options = null, bool constrained = true)
    {
        var o = (options ?? SamplingOptions.Greedy) with { MaxNewTokens = Math.Max(5, (options ?? SamplingOptions.Greedy).MaxNewTokens) };
        var prompts = requests.Select(r => Protocol.BoxTurn(GlobalView(r.Scene), r.Question)).ToList();
        var results = Generation.Generate(Model, Tokenizer, prompts, [.. requests.Select(r => r.Seed)], o, constrained ? new BoxConstraint(Tokenizer) : null);
        return [.. results.Select(ToBox)];
    }

    private BoxOutput ToBox(GenerationResult r)
    {
        string text = Tokenizer.Decode(r.Tokens);
        Box? box = r.Tokens.Length == 4 && r.Tokens.All(Tokenizer.IsLocation) ? Tokenizer.DecodeBox(r.Tokens) : null;
        return new BoxOutput(text, box, r.Tokens);
    }

    /// <summary>Turn 2 for a batch: the answer given global image, question, box and the box's crop.</summary>
    public IReadOnlyList<string> GenerateAnswer(IReadOnlyList<AnswerRequest> requests, SamplingOptions? options = null)
    {
        var prompts = requests.Select(r => Protocol.AnswerTurn(GlobalView(r.Scene), r.Question, r.Box, r.Crop ?? CropView(r.Scene, r.Box))).ToList();
        return Decode(Generation.Generate(Model, Tokenizer, prompts, [.. requests.Select(r => r.Seed)], options ?? SamplingOptions.Greedy));
    }

    /// <summary>No CoT (the base model): answer from one view (the global view of a scene, or any image) and the question.</summary>
    public IReadOnlyList<string> GenerateAnswerNoCot(IReadOnlyList<(RgbImage Image, string Question, int Seed)> requests, SamplingOptions? options = null, bool imagesAreScenes = true)
    {
        var prompts = requests.Select(r => Protocol.NoCot(imagesAreScenes ? GlobalView(r.Image) : Fit(r.Image), r.Question)).ToList();
        return Decode(Generation.Generate(Model, Tokenizer, prompts, [.. requests.Select(r => r.Seed)], options ?? SamplingOptions.Greedy));
    }

    private IReadOnlyList<string> Decode(IReadOnlyList<GenerationResult> results) => [.. results.Select(r => Tokenizer.Decode(r.Tokens))];

    private RgbImage Fit(RgbImage image) => Views.Global(image, Config.ImageSize);

    public void Dispose() => Model.Dispose();
}
