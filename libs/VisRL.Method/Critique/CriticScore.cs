using System.Globalization;

namespace VisRL.Method.Critique;

/// <summary>
/// Validation of the self-critique scores s_r (answer vs standard answer) and s_b (the crop alone
/// holds what the answer needs). A score must be present, finite and within [0, 1]. Bad model output
/// is data, not a bug: it yields a <see cref="ScoreCheck"/> with an error, never an exception, so the
/// Critic can store the reason and the filter can skip the candidate.
/// </summary>
public static class CriticScore
{
    public const string AnswerScoreName = "s_r";
    public const string BoxScoreName = "s_b";

    public static ScoreCheck Check(string name, double? value) => value switch
    {
        null => new ScoreCheck(name, null, $"{name} is missing"),
        { } v when !double.IsFinite(v) => new ScoreCheck(name, null, $"{name} = {Format(v)} is not a finite number"),
        { } v when v < 0 || v > 1 => new ScoreCheck(name, null, $"{name} = {Format(v)} is outside [0, 1]"),
        { } v => new ScoreCheck(name, v, null),
    };

    public static ScoreCheck CheckAnswer(double? value) => Check(AnswerScoreName, value);

    public static ScoreCheck CheckBox(double? value) => Check(BoxScoreName, value);

    /// <summary>True when <paramref name="value"/> is a usable score.</summary>
    public static bool IsValid(double? value) => value is { } v && double.IsFinite(v) && v >= 0 && v <= 1;

    private static string Format(double v) => v.ToString("R", CultureInfo.InvariantCulture);
}
