namespace VisRL.Platform.Configuration;

/// <summary>Serilog sinks: console always, a JSON file when <see cref="JsonFile"/> is set.</summary>
[Settings("Log")]
public sealed class LoggingOptions
{
    /// <summary>Verbose, Debug, Information, Warning, Error or Fatal.</summary>
    public string MinimumLevel { get; set; } = "Information";

    /// <summary>Path of a newline-delimited JSON log file; none when empty.</summary>
    public string? JsonFile { get; set; }
}
