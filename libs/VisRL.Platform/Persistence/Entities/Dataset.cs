namespace VisRL.Platform.Persistence.Entities;

/// <summary>A named collection of items (synthetic or imported), with how it was made.</summary>
public sealed class Dataset
{
    public Guid Id { get; set; }
    public required string Name { get; set; }
    /// <summary>"synthetic", "llamafactory", "viscot", …</summary>
    public required string Source { get; set; }
    /// <summary>The generator knobs or import options, as JSON.</summary>
    public string ConfigJson { get; set; } = "{}";
    public DateTimeOffset CreatedAt { get; set; }
}
