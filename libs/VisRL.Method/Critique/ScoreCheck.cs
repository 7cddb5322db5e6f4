namespace VisRL.Method.Critique;

/// <summary>
/// A validated critic score: <see cref="Value"/> when valid, otherwise <see cref="Error"/> names the
/// score and what is wrong with it (e.g. <c>s_b = 1.7 is outside [0, 1]</c>).
/// </summary>
public readonly record struct ScoreCheck(string Name, double? Value, string? Error)
{
    public bool IsValid => Error is null;
}
