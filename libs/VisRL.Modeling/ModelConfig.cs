using System.Text.Json;
using System.Text.Json.Serialization;

namespace VisRL.Modeling;

/// <summary>
/// Shape of VisRL-Tiny (saved as config.json). Defaults fit CPU training in minutes: a 64 px input
/// (the size the synthetic benchmark is built for: glyphs illegible globally, legible in a crop),
/// 8 px patches → 64 image tokens, d = 128, 2 vision and 3 decoder layers.
/// </summary>
public sealed record ModelConfig
{
    public int ImageSize { get; init; } = 64;
    public int PatchSize { get; init; } = 8;
    /// <summary>
    /// The ViT's patch grid is average-pooled by this factor before the decoder (8×8 patches → 4×4
    /// image tokens at 2): the decoder, where most of the compute goes, reads 16 vectors per image
    /// instead of 64, and the answer position attends to fewer, richer tokens.
    /// </summary>
    public int ImagePool { get; init; } = 2;
    /// <summary>
    /// The ViT's convolutional stem: <see cref="PooledStem"/> (stride-1 5×5/5×5/3×3 convolutions,
    /// each with ReLU and 2×2 max-pooling; the default) or <see cref="StridedStem"/> (strided 3×3
    /// convolutions, the first design: it learned glyphs an order of magnitude slower).
    /// </summary>
    public string Stem { get; init; } = PooledStem;
    public const string PooledStem = "pooled";
    public const string StridedStem = "strided";
    public int VisionDim { get; init; } = 128;
    public int VisionLayers { get; init; } = 2;
    public int VisionHeads { get; init; } = 4;
    public int Dim { get; init; } = 128;
    public int Layers { get; init; } = 3;
    public int Heads { get; init; } = 4;
    public int MlpRatio { get; init; } = 4;
    /// <summary>Longest token sequence (learned positions); a two-turn prompt with 64-token images needs ~160.</summary>
    public int MaxSequence { get; init; } = 192;
    /// <summary>Vocabulary size; must equal the tokenizer's (checked when a checkpoint loads).</summary>
    public int VocabSize { get; init; }
    /// <summary>Location tokens: their count and the id of &lt;loc_0&gt; (from the tokenizer), for the coordinate code.</summary>
    public int LocationBins { get; init; }
    public int FirstLocationToken { get; init; }
    /// <summary>
    /// Frequencies per axis of the fixed coordinate code shared by image tokens (their patch center)
    /// and location tokens (their bin center); 0 turns it off. It needs 4 × this many channels of Dim.
    /// </summary>
    public int CoordinateFrequencies { get; init; } = 16;

    /// <summary>
    /// Width of the focus head (<see cref="TinyVlm"/>): its own small CNN over the global view and a
    /// transformer over the view's PatchGrid² cells and the question's words, which names the cell
    /// of the asked-about object and a box around it; the box enters the decoder where turn 1's box
    /// tokens are predicted. 0 turns it off (checkpoints written before it existed).
    /// </summary>
    public int FocusDim { get; init; } = 96;
    public int FocusLayers { get; init; } = 3;
    public int FocusHeads { get; init; } = 4;
    /// <summary>Words of the question the focus head reads (its learned word positions); a longer question gives it its last ones.</summary>
    public int FocusWords { get; init; } = 16;

    /// <summary>Side of the ViT's patch grid.</summary>
    [JsonIgnore] public int PatchGrid => ImageSize / PatchSize;
    /// <summary>Vectors per image in the decoder (after pooling): the &lt;image&gt; expansion.</summary>
    [JsonIgnore] public int ImageTokens => (PatchGrid / ImagePool) * (PatchGrid / ImagePool);

    /// <summary>The focus head's cell (row-major on the PatchGrid×PatchGrid grid) that holds the box's center.</summary>
    public int FocusCell(Imaging.Geometry.Box box) => FocusCell(box.CenterX, box.CenterY);

    /// <summary>The focus head's cell that holds the point (x, y), normalized.</summary>
    public int FocusCell(double x, double y) =>
        Math.Clamp((int)(y * PatchGrid), 0, PatchGrid - 1) * PatchGrid + Math.Clamp((int)(x * PatchGrid), 0, PatchGrid - 1);

    public void Validate()
    {
        if (ImageSize < 8 || PatchSize < 1 || ImageSize % PatchSize != 0) throw new ArgumentException($"ImageSize ({ImageSize}) must be a multiple of PatchSize ({PatchSize})");
        if (ImagePool < 1 || (ImageSize / PatchSize) % ImagePool != 0) throw new ArgumentException($"ImagePool ({ImagePool}) must divide the patch grid ({ImageSize / PatchSize})");
        if (Stem != PooledStem && Stem != StridedStem) throw new ArgumentException($"Stem must be '{PooledStem}' or '{StridedStem}', got '{Stem}'");
        if ((PatchSize & (PatchSize - 1)) != 0) throw new ArgumentException($"PatchSize ({PatchSize}) must be a power of two (the convolutional stem halves it)");
        if (VisionDim % VisionHeads != 0) throw new ArgumentException($"VisionDim ({VisionDim}) must be divisible by VisionHeads ({VisionHeads})");
        if (Dim % Heads != 0) throw new ArgumentException($"Dim ({Dim}) must be divisible by Heads ({Heads})");
        if (VisionLayers < 0 || Layers < 1 || MlpRatio < 1) throw new ArgumentException("need Layers ≥ 1, VisionLayers ≥ 0, MlpRatio ≥ 1");
        if (VocabSize < 2) throw new ArgumentException("VocabSize must be set (from the tokenizer)");
        if (CoordinateFrequencies < 0 || 4 * CoordinateFrequencies > Dim) throw new ArgumentException($"the coordinate code needs 4 × CoordinateFrequencies ({4 * CoordinateFrequencies}) ≤ Dim ({Dim}) channels");
        if (CoordinateFrequencies > 0 && (LocationBins < 2 || FirstLocationToken < 0 || FirstLocationToken + LocationBins > VocabSize))
            throw new ArgumentException("the coordinate code needs LocationBins and FirstLocationToken inside the vocabulary (from the tokenizer)");
        if (FocusDim < 0 || (FocusDim > 0 && (FocusDim % FocusHeads != 0 || FocusLayers < 1 || FocusWords < 1)))
            throw new ArgumentException($"FocusDim ({FocusDim}) must be 0 (off) or divisible by FocusHeads ({FocusHeads}), with FocusLayers ≥ 1 and FocusWords ≥ 1");
        if (FocusDim > 0 && CoordinateFrequencies == 0) throw new ArgumentException("the focus head hands its box to the decoder as coordinate codes: it needs CoordinateFrequencies > 0");
        if (MaxSequence < ImageTokens + 4) throw new ArgumentException($"MaxSequence ({MaxSequence}) cannot hold one image ({ImageTokens} tokens)");
    }

    /// <summary>
    /// The stem's convolutions in order, as VisionEncoder builds them. "pooled": stride-1 convolutions
    /// at full resolution first (5×5, 5×5, then 3×3 for PatchSize 8), each followed by ReLU and a 2×2
    /// max-pool. "strided" (PatchSize 8): 3→w/4 (s2), w/4→w/2 (s2), w/2→w (k2 s2); PatchSize 4: one
    /// s2 convolution, then k2 s2.
    /// </summary>
    public IReadOnlyList<StemConvolution> StemConvolutions()
    {
        var convs = new List<StemConvolution>();
        int channels = 3, levels = (int)Math.Log2(PatchSize);
        if (Stem == PooledStem)
        {
            for (int level = 0; level < levels; level++)
            {
                int next = level == levels - 1 ? VisionDim : Math.Max(16, VisionDim / (level == 0 ? 8 : 4));
                int kernel = level < 2 && levels > 1 ? 5 : 3;
                convs.Add(new StemConvolution(channels, next, kernel, Stride: 1, Padding: kernel / 2, PoolAfter: true));
                channels = next;
            }
            return convs;
        }
        int size = PatchSize;
        for (int level = levels - 1; level >= 1; level--)
        {
            int next = Math.Max(16, VisionDim >> level);
            convs.Add(new StemConvolution(channels, next, 3, Stride: 2, Padding: 1, PoolAfter: false));
            (channels, size) = (next, size / 2);
        }
        convs.Add(new StemConvolution(channels, VisionDim, size, Stride: size, Padding: 0, PoolAfter: false));
        return convs;
    }

    /// <summary>
    /// The focus head's CNN, as FocusHead builds it: 3×3 convolutions, each followed by ReLU and a 2×2
    /// max-pool, from 3 channels through 16, 32, … to FocusDim, one per halving down to the patch grid.
    /// </summary>
    public IReadOnlyList<StemConvolution> FocusConvolutions()
    {
        var convs = new List<StemConvolution>();
        int channels = 3, levels = (int)Math.Log2(PatchSize);
        for (int level = 0; level < levels; level++)
        {
            int next = level == levels - 1 ? FocusDim : 16 << level;
            convs.Add(new StemConvolution(channels, next, 3, Stride: 1, Padding: 1, PoolAfter: true));
            channels = next;
        }
        return convs;
    }

    internal static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static ModelConfig FromJson(string json)
    {
        var config = JsonSerializer.Deserialize<ModelConfig>(json, Json) ?? throw new InvalidDataException("config.json is empty");
        using var doc = JsonDocument.Parse(json);
        if (doc.RootElement.ValueKind != JsonValueKind.Object) return config;
        // Checkpoints written before the stem was configurable have the strided stem; before the focus head, none.
        if (!doc.RootElement.TryGetProperty("stem", out _)) config = config with { Stem = StridedStem };
        if (!doc.RootElement.TryGetProperty("focus_dim", out _)) config = config with { FocusDim = 0 };
        return config;
    }
}

/// <summary>One convolution of the ViT's stem or the focus head's CNN; <see cref="PoolAfter"/>: a 2×2 max-pool follows it.</summary>
public readonly record struct StemConvolution(int In, int Out, int Kernel, int Stride, int Padding, bool PoolAfter);
