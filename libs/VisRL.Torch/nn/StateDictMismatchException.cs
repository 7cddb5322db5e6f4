using System.Text;

namespace VisRL.Torch;

/// <summary>A state dict that does not fit a module; the message lists every offending key.</summary>
public sealed class StateDictMismatchException : Exception
{
    public StateDictMismatchException(string module, IReadOnlyList<string> missing, IReadOnlyList<string> unexpected, IReadOnlyList<string> mismatched, bool strict)
        : base(Describe(module, missing, unexpected, mismatched, strict))
    {
        MissingKeys = missing;
        UnexpectedKeys = unexpected;
        MismatchedShapes = mismatched;
    }

    public IReadOnlyList<string> MissingKeys { get; }
    public IReadOnlyList<string> UnexpectedKeys { get; }
    public IReadOnlyList<string> MismatchedShapes { get; }

    private static string Describe(string module, IReadOnlyList<string> missing, IReadOnlyList<string> unexpected, IReadOnlyList<string> mismatched, bool strict)
    {
        var text = new StringBuilder($"Error(s) loading state dict for {module}:");
        if (strict && missing.Count > 0) text.Append("\n  Missing key(s): ").Append(string.Join(", ", missing));
        if (strict && unexpected.Count > 0) text.Append("\n  Unexpected key(s): ").Append(string.Join(", ", unexpected));
        if (mismatched.Count > 0) text.Append("\n  Size mismatch: ").Append(string.Join("; ", mismatched));
        return text.ToString();
    }
}
