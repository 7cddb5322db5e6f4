using VisRL.Imaging.Geometry;
using VisRL.Imaging;

namespace VisRL.Modeling;

/// <summary>
/// One sequence for the decoder: token ids with each &lt;image&gt; expanded to ImageTokens copies,
/// a per-token flag marking response tokens (the ones a loss or a log-prob counts), and the images
/// (already at the model's input size) in the order their placeholders appear.
/// </summary>
public sealed record TokenSequence(int[] Tokens, bool[] Response, IReadOnlyList<RgbImage> Images, int ImageTokenId)
{
    public int Length => Tokens.Length;

    /// <summary>Turn 1's question and the index of its &lt;assistant&gt; token, where the focus head's box enters the decoder; null without a box turn.</summary>
    public FocusMark? Focus { get; init; }

    /// <summary>The prompt part: tokens before the first response token (all tokens when there is none).</summary>
    public TokenSequence Prompt()
    {
        int end = Array.IndexOf(Response, true);
        if (end < 0) return this;
        return new TokenSequence(Tokens[..end], new bool[end], Images, ImageTokenId) { Focus = Focus };
    }

    /// <summary>This sequence followed by <paramref name="tokens"/> (not response tokens).</summary>
    public TokenSequence Append(IReadOnlyList<int> tokens) =>
        new([.. Tokens, .. tokens], [.. Response, .. new bool[tokens.Count]], Images, ImageTokenId) { Focus = Focus };

    public int ResponseCount => Response.Count(r => r);
}

/// <summary>
/// The question's token ids, the index of turn 1's &lt;assistant&gt; token (the position that predicts
/// x1), and when the sequence gives turn 1's box: that box and its focus cell (the cell of its center;
/// both null when the box is to be generated, and the model picks the cell).
/// </summary>
public sealed record FocusMark(int[] Question, int AssistantIndex, int? Cell = null, Box? Box = null);
