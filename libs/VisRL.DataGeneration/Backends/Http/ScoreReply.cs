using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace VisRL.DataGeneration.Backends.Http;

/// <summary>A judge reply read as a score: the value, or why none could be read.</summary>
public sealed record ScoreParse(double? Value, string? Reason)
{
    public static ScoreParse Ok(double value) => new(value, null);
    public static ScoreParse Fail(string reason) => new(null, reason);
}

/// <summary>
/// Tolerant reading of a judge's score reply. In order: a JSON object with a "score" field (also
/// inside a ```json code fence or amid prose; a numeric string counts), then "score: x" / "score = x"
/// in prose, then a bare number ("0.8", "0.8."), a percentage ("80%") or a fraction ("4/5").
/// Anything else is a failure with the reason — never an exception. The range is not checked
/// here (<c>CriticScore.Check</c> does), so "1.5" reads as 1.5 and is then reported as outside [0, 1].
/// </summary>
public static partial class ScoreReply
{
    private const string Number = @"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?";

    [GeneratedRegex(@"```[a-zA-Z]*\s*(.*?)```", RegexOptions.Singleline)]
    private static partial Regex Fence();

    [GeneratedRegex(@"\{[^{}]*\}", RegexOptions.Singleline)]
    private static partial Regex JsonObject();

    [GeneratedRegex(@"[""']?\bscore[""']?\s*[:=]\s*[""']?(" + Number + ")", RegexOptions.IgnoreCase)]
    private static partial Regex ScoreInProse();

    [GeneratedRegex(@"^(" + Number + @")\s*(%|/\s*(" + Number + @"))?\.?$")]
    private static partial Regex Bare();

    public static ScoreParse Parse(string? reply)
    {
        if (string.IsNullOrWhiteSpace(reply)) return ScoreParse.Fail("empty reply");
        var text = Fence().Match(reply) is { Success: true } fence ? fence.Groups[1].Value : reply;
        foreach (Match candidate in JsonObject().Matches(text))
        {
            var fromJson = FromJson(candidate.Value);
            if (fromJson is not null) return fromJson;
        }
        if (ScoreInProse().Match(text) is { Success: true } prose) return ScoreParse.Ok(ToDouble(prose.Groups[1].Value));
        var trimmed = text.Trim();
        if (Bare().Match(trimmed) is { Success: true } bare)
        {
            double value = ToDouble(bare.Groups[1].Value);
            if (bare.Groups[2].Value == "%") return ScoreParse.Ok(value / 100);
            if (bare.Groups[3].Success)
            {
                double of = ToDouble(bare.Groups[3].Value);
                return of == 0 ? ScoreParse.Fail($"'{Excerpt(trimmed)}' divides by zero") : ScoreParse.Ok(value / of);
            }
            return ScoreParse.Ok(value);
        }
        return ScoreParse.Fail(JsonObject().IsMatch(text)
            ? $"a JSON object without a numeric \"score\": '{Excerpt(text)}'"
            : $"no score in the reply (expected {{\"score\": x}} or a number): '{Excerpt(text)}'");
    }

    /// <summary>The score of a JSON object; null when it is not JSON or has no usable "score" (so the next rule may try).</summary>
    private static ScoreParse? FromJson(string json)
    {
        try
        {
            using var doc = JsonDocument.Parse(json, new JsonDocumentOptions { AllowTrailingCommas = true });
            foreach (var property in doc.RootElement.EnumerateObject())
            {
                if (!property.Name.Equals("score", StringComparison.OrdinalIgnoreCase)) continue;
                var value = property.Value;
                if (value.ValueKind == JsonValueKind.Number) return ScoreParse.Ok(value.GetDouble());
                if (value.ValueKind == JsonValueKind.String && double.TryParse(value.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed))
                    return ScoreParse.Ok(parsed);
            }
            return null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static double ToDouble(string s) => double.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture);

    private static string Excerpt(string text)
    {
        var one = text.ReplaceLineEndings(" ").Trim();
        return one.Length <= 120 ? one : one[..117] + "...";
    }
}
