namespace VisRL.Data.Export;

/// <param name="FileName">Base name of the data file (and the dataset_info.json entry); default "{name}_{split}".</param>
/// <param name="ToBlob">Also upload the written files to the exports container under "{name}/{split}/".</param>
public sealed record ExportRequest(string Name, string Split, DatasetFileFormat Format, string OutFolder, bool ToBlob = false, string? FileName = null)
{
    public string DataName => FileName ?? $"{Name}_{Split}";
}
