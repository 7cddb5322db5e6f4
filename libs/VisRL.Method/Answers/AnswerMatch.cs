using System.Text;

namespace VisRL.Method.Answers;

/// <summary>
/// Normalized exact match for short answers, after the VQA evaluation's normalization
/// (processPunctuation + processDigitArticle): lower case, punctuation stripped (a period or comma
/// between digits kept as part of the number, "1,000" → "1000"), apostrophes dropped ("don't" =
/// "dont"), number words zero–ten and "none" as digits, the articles a/an/the dropped, whitespace
/// collapsed. s_r is 1 when the normalized answers are equal and not empty, else 0.
/// <para>One deliberate difference from VQA: when every word is an article, the last one is kept.
/// The synthetic benchmark's answers are single glyphs, and VQA's rule would turn the answer "A"
/// (or "the A") into an empty string that matches nothing.</para>
/// </summary>
public static class AnswerMatch
{
    private static readonly Dictionary<string, string> NumberWords = new()
    {
        ["none"] = "0", ["zero"] = "0", ["one"] = "1", ["two"] = "2", ["three"] = "3", ["four"] = "4",
        ["five"] = "5", ["six"] = "6", ["seven"] = "7", ["eight"] = "8", ["nine"] = "9", ["ten"] = "10",
    };

    private static readonly HashSet<string> Articles = ["a", "an", "the"];

    /// <summary>s_r ∈ {0, 1}: 1 when <paramref name="answer"/> matches <paramref name="standardAnswer"/> after normalization.</summary>
    public static double Score(string? answer, string? standardAnswer) => Matches(answer, standardAnswer) ? 1 : 0;

    public static bool Matches(string? answer, string? standardAnswer)
    {
        var expected = Normalize(standardAnswer);
        return expected.Length > 0 && expected == Normalize(answer);
    }

    public static string Normalize(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return "";
        var lower = text.Trim().ToLowerInvariant();
        var sb = new StringBuilder(lower.Length);
        for (int i = 0; i < lower.Length; i++)
        {
            char c = lower[i];
            if (char.IsLetterOrDigit(c)) sb.Append(c);
            else if (char.IsWhiteSpace(c)) sb.Append(' ');
            else if (c == '.' && BetweenDigits(lower, i)) sb.Append('.');   // 3.5 stays a number
            else if (c == ',' && BetweenDigits(lower, i)) { }                // 1,000 → 1000
            else if (c is '\'' or '\u2019') { }                              // don't → dont
            else sb.Append(' ');                                             // other punctuation, symbols
        }

        var words = sb.ToString().Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Select(w => NumberWords.GetValueOrDefault(w, w)).ToList();
        var content = words.Where(w => !Articles.Contains(w)).ToList();
        if (content.Count == 0 && words.Count > 0) content.Add(words[^1]); // "A", "the A": the glyph a
        return string.Join(' ', content);
    }

    private static bool BetweenDigits(string s, int i) => i > 0 && i < s.Length - 1 && char.IsDigit(s[i - 1]) && char.IsDigit(s[i + 1]);
}
