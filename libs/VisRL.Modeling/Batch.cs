using VisRL.Imaging;
using VisRL.Torch;
using static VisRL.Torch.torch;

namespace VisRL.Modeling;

/// <summary>
/// Sequences made into tensors, left-padded (every sequence ends at the last column, which makes
/// batched decoding with a KV cache a matter of appending one column). Positions count from each
/// sequence's own first token; pad keys are masked; a pad query attends only itself, so no row of
/// the attention is empty. <see cref="Targets"/>/<see cref="ResponseMask"/> are (B, T-1): the token
/// each position predicts and whether it is a response token.
/// </summary>
public sealed class Batch
{
    private Batch(ModelInput input, Tensor targets, Tensor responseMask, Tensor? cellResponse, int[] padding, int width)
    {
        Input = input;
        CellResponse = cellResponse;
        Targets = targets;
        ResponseMask = responseMask;
        Padding = padding;
        Width = width;
    }

    public ModelInput Input { get; }
    public Tensor Targets { get; }
    public Tensor ResponseMask { get; }
    /// <summary>(B) 1 where turn 1's box is a response, so its focus cell counts as one more response token; null without a focus head.</summary>
    public Tensor? CellResponse { get; }
    /// <summary>Pad columns at the left of each row.</summary>
    public int[] Padding { get; }
    public int Width { get; }

    /// <summary>Turn-1 &lt;assistant&gt; position of a row without a box turn: no position is within 4 of it.</summary>
    private const long NoFocus = -1000;

    public static Batch Build(IReadOnlyList<TokenSequence> sequences, ModelConfig config, int padId, Device device)
    {
        if (sequences.Count == 0) throw new ArgumentException("empty batch");
        int b = sequences.Count, t = sequences.Max(s => s.Length), n = config.ImageTokens;
        if (t > config.MaxSequence) throw new ArgumentException($"sequence of {t} tokens exceeds MaxSequence {config.MaxSequence}");
        var tokens = new long[b * t];
        var positions = new long[b * t];
        var mask = new bool[b * t * t];
        var targets = new long[b * Math.Max(1, t - 1)];
        var response = new float[b * Math.Max(1, t - 1)];
        var slots = new long[b * t];
        var padding = new int[b];
        var images = new List<RgbImage>();
        var focused = sequences.Where(x => x.Focus is not null).ToList();
        int words = focused.Count > 0 ? Math.Max(1, focused.Max(x => x.Focus!.Question.Length)) : 0;
        var focusImage = new long[b];
        var focusWords = new long[b * words];
        var focusMask = new bool[b * words];
        var focusAssistant = new long[b];
        var focusCell = new long[b];
        var focusBox = new float[b * 4];
        var cellResponse = new float[b];
        for (int r = 0; r < b; r++)
        {
            var s = sequences[r];
            int pad = t - s.Length, imageToken = 0, imageBase = images.Count * n;
            padding[r] = pad;
            for (int i = 0; i < t; i++)
            {
                int flat = r * t + i;
                bool real = i >= pad;
                int token = real ? s.Tokens[i - pad] : padId;
                tokens[flat] = token;
                positions[flat] = real ? i - pad : 0;
                slots[flat] = flat;
                if (real && token == s.ImageTokenId) slots[flat] = (long)b * t + imageBase + imageToken++;
                for (int j = 0; j <= i; j++) mask[(r * t + i) * t + j] = j == i || (real && j >= pad);
                if (i + 1 < t)
                {
                    targets[r * (t - 1) + i] = i + 1 >= pad ? s.Tokens[i + 1 - pad] : padId;
                    response[r * (t - 1) + i] = i + 1 >= pad && s.Response[i + 1 - pad] ? 1f : 0f;
                }
            }
            if (imageToken != s.Images.Count * n)
                throw new ArgumentException($"sequence {r} has {imageToken} <image> tokens but {s.Images.Count} image(s) × {n} tokens");
            (focusAssistant[r], focusCell[r]) = (NoFocus, -1);
            if (s.Focus is { } focus)
            {
                (focusImage[r], focusAssistant[r], focusCell[r]) = (images.Count, focus.AssistantIndex, focus.Cell ?? -1);
                if (focus.Box is { } box) (focusBox[4 * r], focusBox[4 * r + 1], focusBox[4 * r + 2], focusBox[4 * r + 3]) = ((float)box.X1, (float)box.Y1, (float)box.X2, (float)box.Y2);
                if (focus.Cell is not null && focus.AssistantIndex + 1 < s.Length && s.Response[focus.AssistantIndex + 1]) cellResponse[r] = 1f;
                for (int w = 0; w < focus.Question.Length; w++) (focusWords[r * words + w], focusMask[r * words + w]) = (focus.Question[w], true);
            }
            images.AddRange(s.Images);
        }
        Tensor? imageTensor = null, slotTensor = null;
        if (images.Count > 0)
        {
            imageTensor = ImageTensor(images, config.ImageSize, device);
            slotTensor = tensor(slots, [b * t], device);
        }
        bool withFocus = focused.Count > 0 && config.FocusDim > 0;
        var input = new ModelInput(tensor(tokens, [b, t], device), tensor(positions, [b, t], device), tensor(mask, [b, 1, t, t], device), imageTensor, slotTensor)
        {
            Focus = withFocus
                ? new FocusInput(tensor(focusImage, [b], device), tensor(focusWords, [b, words], device), tensor(focusMask, [b, words], device), tensor(focusAssistant, [b], device), tensor(focusCell, [b], device), tensor(focusBox, [b, 4], device))
                : null,
        };
        return new Batch(input, tensor(targets, [b, Math.Max(1, t - 1)], device), tensor(response, [b, Math.Max(1, t - 1)], device),
            withFocus ? tensor(cellResponse, [b], device) : null, padding, t);
    }


    /// <summary>(M, 3, S, S) floats in [-1, 1] from RGB bytes (HWC → CHW).</summary>
    public static Tensor ImageTensor(IReadOnlyList<RgbImage> images, int size, Device device)
    {
        int plane = size * size;
        var data = new float[images.Count * 3 * plane];
        for (int m = 0; m < images.Count; m++)
        {
            var px = images[m].Pixels;
            if (images[m].Width != size || images[m].Height != size) throw new ArgumentException($"image {m} is {images[m].Width}x{images[m].Height}, expected {size}x{size}");
            int baseIndex = m * 3 * plane;
            for (int p = 0; p < plane; p++)
                for (int c = 0; c < 3; c++)
                    data[baseIndex + c * plane + p] = px[p * 3 + c] / 127.5f - 1f;
        }
        return tensor(data, [images.Count, 3, size, size], device);
    }

    /// <summary>One decoding step after <paramref name="cached"/> columns: a new token per row, keys masked by each row's padding.</summary>
    internal static ModelInput Step(long[] tokens, int[] padding, int cached, Device device)
    {
        int b = tokens.Length, s = cached + 1;
        var positions = new long[b];
        var mask = new bool[b * s];
        for (int r = 0; r < b; r++)
        {
            positions[r] = cached - padding[r];
            for (int j = 0; j < s; j++) mask[r * s + j] = j >= padding[r];
        }
        return new ModelInput(tensor(tokens, [b, 1], device), tensor(positions, [b, 1], device), tensor(mask, [b, 1, 1, s], device), null, null);
    }
}
