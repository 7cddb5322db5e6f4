namespace VisRL.Imaging.Geometry;

/// <summary>Outcome of parsing model output as a box. Never thrown: failure carries a reason.</summary>
public readonly record struct BoxParseResult(bool Success, Box Box, BoxParseFlags Flags, string? FailureReason)
{
    public static BoxParseResult Ok(Box box, BoxParseFlags flags) => new(true, box, flags, null);

    public static BoxParseResult Fail(string reason) => new(false, default, BoxParseFlags.None, reason);

    public override string ToString() => Success ? $"{Box} ({Flags})" : $"unparseable: {FailureReason}";
}
