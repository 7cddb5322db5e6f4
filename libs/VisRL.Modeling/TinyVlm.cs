using VisRL.Torch;
using VisRL.Torch.Modules;
using static VisRL.Torch.torch;

namespace VisRL.Modeling;

// VisRL-Tiny, read top to bottom: a patch ViT encodes each image into ImageTokens vectors, an MLP
// projects them into the decoder's width, and a causal GPT decoder reads a token sequence in which
// every <image> placeholder token is replaced by one image vector (LLaVA's layout). Boxes are
// location tokens in the decoder's vocabulary, so box and answer are both plain next-token targets.

/// <summary>Multi-head self-attention; with a <see cref="LayerCache"/> it appends this call's keys and values (KV cache).</summary>
internal sealed class SelfAttention : nn.Module
{
    private readonly long _dim, _heads;
    private readonly Linear _qkv, _proj;

    public SelfAttention(long dim, long heads) : base(nameof(SelfAttention))
    {
        (_dim, _heads) = (dim, heads);
        _qkv = register_module("qkv", nn.Linear(dim, 3 * dim));
        _proj = register_module("proj", nn.Linear(dim, dim));
    }

    /// <param name="mask">bool (B, 1, T, S): true where a query may attend a key; null = full attention.</param>
    public Tensor forward(Tensor x, Tensor? mask, LayerCache? cache)
    {
        var (b, t) = (x.size(0), x.size(1));
        var headDim = _dim / _heads;
        var qkv = _qkv.call(x).split(_dim, 2);
        var q = qkv[0].view(b, t, _heads, headDim).transpose(1, 2);
        var k = qkv[1].view(b, t, _heads, headDim).transpose(1, 2);
        var v = qkv[2].view(b, t, _heads, headDim).transpose(1, 2);
        if (cache is not null) (k, v) = cache.Append(k, v);
        var y = nn.functional.scaled_dot_product_attention(q, k, v, mask);
        return _proj.call(y.transpose(1, 2).reshape(b, t, _dim));
    }
}

/// <summary>Pre-norm transformer block: x + attn(ln(x)), then x + mlp(ln(x)) with a GELU MLP.</summary>
internal sealed class Block : nn.Module
{
    private readonly LayerNorm _ln1, _ln2;
    private readonly SelfAttention _attn;
    private readonly Linear _fc, _out;

    public Block(long dim, long heads, long mlpRatio) : base(nameof(Block))
    {
        _ln1 = register_module("ln1", nn.LayerNorm(dim));
        _attn = register_module("attn", new SelfAttention(dim, heads));
        _ln2 = register_module("ln2", nn.LayerNorm(dim));
        _fc = register_module("fc", nn.Linear(dim, mlpRatio * dim));
        _out = register_module("out", nn.Linear(mlpRatio * dim, dim));
    }

    public Tensor forward(Tensor x, Tensor? mask, LayerCache? cache)
    {
        x = x + _attn.forward(_ln1.call(x), mask, cache);
        return x + _out.call(nn.functional.gelu(_fc.call(_ln2.call(x))));
    }
}

/// <summary>
/// ViT with a convolutional stem (<see cref="ModelConfig.StemConvolutions"/>) that makes one token per
/// PatchSize² pixels. "Early convolutions help transformers see better" (Xiao et al., 2021): on CPU
/// budgets a single linear patchify learned no glyphs in minutes, the stem reads them. Then learned
/// positions → bidirectional blocks → LayerNorm.
/// </summary>
internal sealed class VisionEncoder : nn.Module
{
    private readonly ModuleList<Conv2d> _stem;
    private readonly Tensor _pos;
    private readonly ModuleList<Block> _blocks;
    private readonly LayerNorm _ln;

    private readonly bool _pooledStem;

    public VisionEncoder(ModelConfig c) : base(nameof(VisionEncoder))
    {
        // "pooled" reads glyphs in a few hundred steps where "strided" needed thousands (VisionPretraining measures it).
        _pooledStem = c.Stem == ModelConfig.PooledStem;
        var convs = c.StemConvolutions().Select(s => nn.Conv2d(s.In, s.Out, s.Kernel, stride: s.Stride, padding: s.Padding)).ToList();
        _stem = register_module("stem", nn.ModuleList(convs));
        _pos = register_parameter("pos", randn(1, c.PatchGrid * c.PatchGrid, c.VisionDim) * 0.02);
        _blocks = register_module("blocks", nn.ModuleList(Enumerable.Range(0, c.VisionLayers).Select(_ => new Block(c.VisionDim, c.VisionHeads, c.MlpRatio))));
        _ln = register_module("ln", nn.LayerNorm(c.VisionDim));
    }

    /// <param name="images">(M, 3, H, W), normalized pixels.</param> <returns>(M, PatchGrid², VisionDim)</returns>
    public Tensor forward(Tensor images) => forward(images, out _);

    /// <param name="stemFeatures">The stem's output (M, VisionDim, PatchGrid, PatchGrid), before positions and blocks.</param>
    public Tensor forward(Tensor images, out Tensor stemFeatures)
    {
        var x = images.contiguous_channels_last(); // bit-identical and faster convolutions (see the method)
        if (_pooledStem)
            // max-pool before ReLU: the same values (ReLU is monotone) on a quarter of the elements
            for (int i = 0; i < _stem.Count; i++) x = nn.functional.max_pool2d(_stem[i].call(x), [2, 2]).relu();
        else
            for (int i = 0; i < _stem.Count; i++) x = i < _stem.Count - 1 ? nn.functional.gelu(_stem[i].call(x)) : _stem[i].call(x);
        stemFeatures = x;
        x = x.flatten(2).transpose(1, 2) + _pos;
        foreach (var block in _blocks) x = block.forward(x, null, null);
        return _ln.call(x);
    }
}

/// <summary>
/// A fixed 2-D coordinate code (sines and cosines of x in one channel group, of y in the next) added
/// to each image token (its patch center) and to each location token's embedding (its bin center,
/// in both groups, since one token serves x and y). With the tied output head, a hidden state
/// carrying the code of a patch scores the location tokens near that patch highest: boxes become
/// "point at the patch", which a small model learns in minutes rather than hours.
/// </summary>
internal static class CoordinateCode
{
    /// <summary>Cycles per image of frequency <paramref name="k"/>: 0.25 … 32, geometric.</summary>
    private static double Cycles(int k, int frequencies) => 0.25 * Math.Pow(128, k / (double)Math.Max(1, frequencies - 1));

    private static void Write(float[] row, int offset, int frequencies, double u)
    {
        for (int k = 0; k < frequencies; k++)
        {
            double f = Cycles(k, frequencies);
            row[offset + 2 * k] = (float)(Math.Sin(2 * Math.PI * f * u) / Math.Sqrt(frequencies));
            row[offset + 2 * k + 1] = (float)(Math.Cos(2 * Math.PI * f * u) / Math.Sqrt(frequencies));
        }
    }

    /// <summary>(1, ImageTokens, Dim): image-token centers, row-major like the patch embedding's flatten.</summary>
    public static Tensor Image(ModelConfig c) => Grid(c, c.PatchGrid / c.ImagePool);

    /// <summary>(1, grid², Dim): the centers of a grid×grid tiling of the image, row-major.</summary>
    public static Tensor Grid(ModelConfig c, int grid)
    {
        int f = c.CoordinateFrequencies;
        var data = new float[grid * grid * c.Dim];
        for (int gy = 0; gy < grid; gy++)
            for (int gx = 0; gx < grid; gx++)
            {
                var row = new float[c.Dim];
                Write(row, 0, f, (gx + 0.5) / grid);
                Write(row, 2 * f, f, (gy + 0.5) / grid);
                row.CopyTo(data, (gy * grid + gx) * c.Dim);
            }
        return tensor(data, [1, grid * grid, c.Dim]);
    }

    /// <summary>(…, Dim): the code of each value in <paramref name="u"/> (…) as a location token's, in both groups — a vector the tied head reads as "the bins near u".</summary>
    public static Tensor Values(Tensor u, ModelConfig c)
    {
        int f = c.CoordinateFrequencies;
        // The ladder of Cycles in float32 tensor ops; not from Cycles' doubles: the two differ in the last bit for some
        // frequencies, and the quick demo's SFT is unstable enough that one bit turned 44.0 % into 15.7 % (2026-11-22).
        var cycles = arange(0, f, 1, ScalarType.Float32, u.device).mul(Math.Log(128) / Math.Max(1, f - 1)).exp().mul(0.25);
        var angles = u.unsqueeze(-1).mul(cycles).mul(2 * Math.PI);
        var group = stack([angles.sin(), angles.cos()], -1).flatten(-2).div(Math.Sqrt(f)); // sin, cos interleaved
        var rest = zeros([.. u.shape, c.Dim - 4 * f], device: u.device);
        return cat([group, group, rest], -1);
    }

    /// <summary>(VocabSize, Dim): zero except the location tokens' rows.</summary>
    public static Tensor Vocab(ModelConfig c)
    {
        int f = c.CoordinateFrequencies;
        var data = new float[c.VocabSize * c.Dim];
        for (int bin = 0; bin < c.LocationBins; bin++)
        {
            var row = new float[c.Dim];
            double u = (bin + 0.5) / c.LocationBins;
            Write(row, 0, f, u);
            Write(row, 2 * f, f, u);
            row.CopyTo(data, (c.FirstLocationToken + bin) * c.Dim);
        }
        return tensor(data, [c.VocabSize, c.Dim]);
    }
}

/// <summary>
/// The focus head: where is the object the question asks about? Its own small CNN turns the global
/// view into PatchGrid² cells (the ViT's features are trained to read glyphs in crops, not to tell
/// colors and shapes apart in a 64 px view), a bidirectional transformer lets cells and question
/// words meet (relations and extremes compare cells with each other), and per cell it gives a
/// logit ("the asked-about object's center is here") and a box (offsets from the cell's center, in
/// cells). Why a head of its own: the decoder alone had to route from question words to an image
/// token and then read sub-token position, which it did not learn in CPU-minutes (detection 0 %);
/// with a right pointer it reads the box at once (LocalizationProbe's findings in the README).
/// </summary>
internal sealed class FocusHead : nn.Module
{
    private readonly ModelConfig _c;
    private readonly ModuleList<Conv2d> _convs;
    private readonly Tensor _words, _wordPos, _cellPos;
    private readonly Tensor _cellCode, _cellCenters;
    private readonly ModuleList<Block> _blocks;
    private readonly LayerNorm _ln;
    private readonly Linear _center, _box;

    public FocusHead(ModelConfig c) : base(nameof(FocusHead))
    {
        _c = c;
        var convs = c.FocusConvolutions().Select(s => nn.Conv2d(s.In, s.Out, s.Kernel, stride: s.Stride, padding: s.Padding)).ToList();
        _convs = register_module("convs", nn.ModuleList(convs));
        _words = register_parameter("words", randn(c.VocabSize, c.FocusDim) * 0.02);
        _wordPos = register_parameter("word_pos", randn(c.FocusWords, c.FocusDim) * 0.02);
        _cellPos = register_parameter("cell_pos", zeros(c.PatchGrid * c.PatchGrid, c.FocusDim));
        _blocks = register_module("blocks", nn.ModuleList(Enumerable.Range(0, c.FocusLayers).Select(_ => new Block(c.FocusDim, c.FocusHeads, c.MlpRatio))));
        _ln = register_module("ln", nn.LayerNorm(c.FocusDim));
        _center = register_module("center", nn.Linear(c.FocusDim, 1));
        _box = register_module("box", nn.Linear(c.FocusDim, 4));
        _cellCenters = register_buffer("cell_centers", CellCenters(c.PatchGrid), persistent: false);
        _cellCode = register_buffer("cell_code", CoordinateCode.Grid(c with { Dim = c.FocusDim, CoordinateFrequencies = c.FocusDim / 4 }, c.PatchGrid), persistent: false);
    }

    /// <param name="images">(B, 3, H, W) each row's global view.</param>
    /// <param name="words">(B, FocusWords) the question's token ids; <paramref name="wordMask"/> (B, FocusWords) bool, true on real words.</param>
    /// <param name="cellFeatures">(B, PatchGrid², FocusDim) the CNN's cells before the transformer (what the focus stage's attribute head reads).</param>
    /// <returns>Center logits (B, PatchGrid²) and boxes (B, PatchGrid², 4) as normalized x1, y1, x2, y2.</returns>
    public (Tensor Logits, Tensor Boxes) forward(Tensor images, Tensor words, Tensor wordMask, out Tensor cellFeatures)
    {
        var x = images.contiguous_channels_last();
        foreach (var conv in _convs) x = nn.functional.max_pool2d(conv.call(x), [2, 2]).relu();
        // Back to NCHW before the cells are read: a Linear over this transposed view (the focus stage's
        // attribute head) rounds differently over a contiguous one, and checkpoints stay bit-identical.
        cellFeatures = x.contiguous().flatten(2).transpose(1, 2);
        long b = words.size(0), q = words.size(1), cells = cellFeatures.size(1);
        var h = cat([nn.functional.embedding(words, _words) + _wordPos.narrow(0, 0, q), cellFeatures + _cellCode + _cellPos], 1);
        var keys = cat([wordMask, ones([b, cells], ScalarType.Bool, images.device)], 1).view(b, 1, 1, q + cells).expand(b, 1, q + cells, q + cells);
        foreach (var block in _blocks) h = block.forward(h, keys, null);
        h = _ln.call(h.narrow(1, q, cells));
        var boxes = _cellCenters.repeat(1, 1, 2) + _box.call(h) / _c.PatchGrid;
        return (_center.call(h).squeeze(2), boxes);
    }

    /// <summary>(1, g², 2): each cell's center (x, y), normalized, row-major.</summary>
    private static Tensor CellCenters(int g)
    {
        var centers = new float[g * g * 2];
        for (int i = 0; i < g * g; i++) (centers[2 * i], centers[2 * i + 1]) = (((i % g) + 0.5f) / g, ((i / g) + 0.5f) / g);
        return tensor(centers, [1, g * g, 2]);
    }

    /// <summary>Each row's box at its <paramref name="cell"/> (B): (B, 4), clamped to the image.</summary>
    public static Tensor BoxAt(Tensor boxes, Tensor cell) => RawBoxAt(boxes, cell).clamp(0.0, 1.0);

    /// <summary>The same, not clamped (what the focus stage's L1 trains).</summary>
    public static Tensor RawBoxAt(Tensor boxes, Tensor cell) => boxes.gather(1, cell.view(-1, 1, 1).expand(-1, 1, 4)).squeeze(1);
}

/// <summary>The whole model. Weight names are its state-dict keys (vision.*, projector.*, wte, wpe, blocks.*, ln_f.*).</summary>
public sealed class TinyVlm : nn.Module
{
    private readonly VisionEncoder _vision;
    private readonly Linear _proj1, _proj2;
    private readonly Tensor _wte, _wpe;
    private readonly Tensor? _coordImage, _coordVocab;
    private readonly ModuleList<Block> _blocks;
    private readonly LayerNorm _lnF;
    private readonly FocusHead? _focus;

    public TinyVlm(ModelConfig config) : base(nameof(TinyVlm))
    {
        config.Validate();
        Config = config;
        _vision = register_module("vision", new VisionEncoder(config));
        // LLaVA-1.5's projector: Linear → GELU → Linear from the vision width to the decoder width.
        _proj1 = register_module("proj1", nn.Linear(config.VisionDim, config.Dim));
        _proj2 = register_module("proj2", nn.Linear(config.Dim, config.Dim));
        // Small N(0, 0.02) embeddings as GPT-2; the output head shares the token embedding (weight tying).
        _wte = register_parameter("wte", randn(config.VocabSize, config.Dim) * 0.02);
        _wpe = register_parameter("wpe", randn(config.MaxSequence, config.Dim) * 0.02);
        _blocks = register_module("blocks", nn.ModuleList(Enumerable.Range(0, config.Layers).Select(_ => new Block(config.Dim, config.Heads, config.MlpRatio))));
        _lnF = register_module("ln_f", nn.LayerNorm(config.Dim));
        if (config.FocusDim > 0) _focus = register_module("focus", new FocusHead(config));
        if (config.CoordinateFrequencies > 0)
        {
            // Derived from the config, so not part of the state dict (persistent: false).
            _coordImage = register_buffer("coord_image", CoordinateCode.Image(config), persistent: false);
            _coordVocab = register_buffer("coord_vocab", CoordinateCode.Vocab(config), persistent: false);
        }
    }

    public ModelConfig Config { get; }

    public Device Device => _wte.device;

    /// <summary>Image vectors in the decoder's width: (M, ImageTokens, Dim).</summary>
    public Tensor EncodeImages(Tensor images)
    {
        var vectors = ImageVectors(images);
        return _coordImage is null ? vectors : vectors + _coordImage;
    }

    /// <summary>The image vectors before the coordinate code (what the vision stage's head reads).</summary>
    internal Tensor ImageVectors(Tensor images) => ImageVectors(images, out _);

    /// <param name="stemFeatures">The vision stem's output (M, VisionDim, PatchGrid, PatchGrid).</param>
    internal Tensor ImageVectors(Tensor images, out Tensor stemFeatures)
    {
        var patches = _vision.forward(images, out stemFeatures);
        int g = Config.PatchGrid, p = Config.ImagePool;
        if (p > 1) // average p×p neighbouring patches: (M, g·g, C) → (M, (g/p)², C)
            patches = patches.reshape(-1, g / p, p, g / p, p, Config.VisionDim).mean([2, 4]).reshape(-1, Config.ImageTokens, Config.VisionDim);
        return _proj2.call(nn.functional.gelu(_proj1.call(patches)));
    }

    /// <summary>The focus head's outputs for each row's global view and question (B, PatchGrid²) and (B, PatchGrid², 4).</summary>
    internal (Tensor Logits, Tensor Boxes) Focus(Tensor images, Tensor words, Tensor wordMask, out Tensor cellFeatures) =>
        (_focus ?? throw new InvalidOperationException("this model has no focus head (FocusDim 0)")).forward(images, words, wordMask, out cellFeatures);

    /// <summary>The focus head's cell logits for each row of a batch with box turns: (B, PatchGrid²).</summary>
    public Tensor FocusLogits(ModelInput input)
    {
        var f = input.Focus ?? throw new ArgumentException("the batch has no box turn to focus on");
        return Focus(input.Images!.index_select(0, f.Image), f.Words, f.WordMask, out _).Logits;
    }

    /// <summary>
    /// The coordinate codes of each row's focus box (B, 4, Dim) and the position of its turn-1
    /// &lt;assistant&gt; (B): from the batch when it carries the global views, else from the KV cache
    /// (decoding steps carry no images). The focus cell is a latent first step of the box: a row
    /// that gives its box uses the cell of the box's center (and <paramref name="cellLogProbs"/>
    /// holds log p(that cell), which log-probs and losses of the box count), a row that asks uses
    /// the cell the batch names or else the most likely one.
    /// </summary>
    private (Tensor Codes, Tensor Assistant)? FocusCodes(ModelInput input, KvCache? cache, out Tensor? cellLogProbs, out Tensor? focusBoxes)
    {
        (cellLogProbs, focusBoxes) = (null, null);
        if (_focus is null) return null;
        if (input.Focus is not { } f || input.Images is null) return cache?.Focus;
        var (logits, boxes) = _focus.forward(input.Images.index_select(0, f.Image), f.Words, f.WordMask, out _);
        var cell = f.Cell.where(f.Cell.ge(0), logits.argmax(1));
        cellLogProbs = logits.log_softmax(1).gather(1, cell.unsqueeze(1)).squeeze(1);
        focusBoxes = FocusHead.RawBoxAt(boxes, cell);
        var codes = CoordinateCode.Values(focusBoxes.clamp(0.0, 1.0), Config);
        if (cache is not null) cache.Focus = (codes.detach().DetachFromDisposeScope(), f.Assistant.clone().DetachFromDisposeScope());
        return (codes, f.Assistant);
    }

    /// <summary>
    /// Logits (B, T, VocabSize) of the next token at every position.
    /// <paramref name="slots"/> (B·T, long) says where each position's input vector comes from:
    /// index i &lt; B·T is the token embedding of flattened position i, B·T + j is the j-th image
    /// vector (images in order, ImageTokens each) — one gather puts the images where the prompt
    /// has &lt;image&gt;, and gradients flow to both the embeddings and the vision tower.
    /// </summary>
    public Tensor forward(ModelInput input, KvCache? cache = null) => forward(input, cache, out _);

    /// <param name="cellLogProbs">(B) log p(focus cell) per row (see FocusCodes); null without a focus head or box turn.</param>
    public Tensor forward(ModelInput input, KvCache? cache, out Tensor? cellLogProbs) => forward(input, cache, out cellLogProbs, out _);

    /// <param name="focusBoxes">(B, 4) the focus head's box at each row's cell, not clamped; null as <paramref name="cellLogProbs"/>.</param>
    public Tensor forward(ModelInput input, KvCache? cache, out Tensor? cellLogProbs, out Tensor? focusBoxes)
    {
        var (b, t) = (input.Tokens.size(0), input.Tokens.size(1));
        var wte = _coordVocab is null ? _wte : _wte + _coordVocab;
        var x = nn.functional.embedding(input.Tokens, wte).reshape(b * t, Config.Dim);
        if (input.Images is not null && input.Slots is not null)
        {
            var vectors = EncodeImages(input.Images).reshape(-1, Config.Dim);
            x = cat([x, vectors], 0).index_select(0, input.Slots);
        }
        x = x.view(b, t, Config.Dim) + nn.functional.embedding(input.Positions, _wpe);
        if (FocusCodes(input, cache, out cellLogProbs, out focusBoxes) is var (codes, assistant))
        {
            // Turn 1's box token k is predicted at <assistant> + k: there the focus box's k-th coordinate is added.
            var offset = input.Positions - assistant.unsqueeze(1);
            for (int k = 0; k < 4; k++) x = x + offset.eq(k).unsqueeze(2).to(x.dtype) * codes.narrow(1, k, 1);
        }
        for (int i = 0; i < _blocks.Count; i++) x = _blocks[i].forward(x, input.Mask, cache?.Layers[i]);
        return nn.functional.linear(_lnF.call(x), wte);
    }
}

/// <summary>One batch as tensors: tokens and positions (B, T) long, mask (B, 1, T, S) bool, images (M, 3, H, W) and slots (B·T) or null.</summary>
public sealed record ModelInput(Tensor Tokens, Tensor Positions, Tensor Mask, Tensor? Images, Tensor? Slots)
{
    /// <summary>What the focus head reads; null when no row has a box turn.</summary>
    public FocusInput? Focus { get; init; }
}

/// <summary>
/// Per row: the index of its global view among the batch's images (B) long, the question's words
/// (B, FocusWords) long with their mask (bool), and the position of turn 1's &lt;assistant&gt; (B)
/// long — far outside the sequence for rows without a box turn — and the focus cell (B) long: the
/// given box's, or -1 where the model picks (the most likely cell; generation samples one and sets it);
/// the given box (B, 4) float, normalized x1, y1, x2, y2, zeros where there is none.
/// </summary>
public sealed record FocusInput(Tensor Image, Tensor Words, Tensor WordMask, Tensor Assistant, Tensor Cell, Tensor Box);

/// <summary>Keys and values of one layer, grown by each call; owned here, outside any dispose scope.</summary>
public sealed class LayerCache : IDisposable
{
    private Tensor? _k, _v;

    public long Length => _k?.size(2) ?? 0;

    internal (Tensor K, Tensor V) Append(Tensor k, Tensor v)
    {
        var (newK, newV) = _k is null ? (k.clone(), v.clone()) : (cat([_k, k], 2), cat([_v!, v], 2));
        _k?.Dispose();
        _v?.Dispose();
        _k = newK.DetachFromDisposeScope();
        _v = newV.DetachFromDisposeScope();
        return (_k, _v);
    }

    public void Dispose()
    {
        _k?.Dispose();
        _v?.Dispose();
        _k = _v = null;
    }
}

/// <summary>The KV cache of a whole decoder (one <see cref="LayerCache"/> per layer).</summary>
public sealed class KvCache(int layers) : IDisposable
{
    public IReadOnlyList<LayerCache> Layers { get; } = [.. Enumerable.Range(0, layers).Select(_ => new LayerCache())];

    public long Length => Layers[0].Length;

    /// <summary>The focus box's codes and turn-1 &lt;assistant&gt; positions of the prompt (set by its first call).</summary>
    internal (Tensor Codes, Tensor Assistant)? Focus { get; set; }

    public void Dispose()
    {
        foreach (var layer in Layers) layer.Dispose();
        if (Focus is var (codes, assistant))
        {
            codes.Dispose();
            assistant.Dispose();
            Focus = null;
        }
    }
}
