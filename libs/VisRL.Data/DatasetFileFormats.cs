namespace VisRL.Data;

/// <summary>Format names as the command line and ConfigJson spell them.</summary>
public static class DatasetFileFormats
{
    public static string Name(this DatasetFileFormat format) => format == DatasetFileFormat.LlamaFactory ? "llamafactory" : "viscot";

    public static DatasetFileFormat Parse(string text) => text.ToLowerInvariant() switch
    {
        "llamafactory" or "sharegpt" => DatasetFileFormat.LlamaFactory,
        "viscot" or "visualcot" => DatasetFileFormat.VisCot,
        _ => throw new ArgumentException($"unknown format '{text}' (llamafactory or viscot)"),
    };
}
