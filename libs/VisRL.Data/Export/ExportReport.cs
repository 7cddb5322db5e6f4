namespace VisRL.Data.Export;

/// <param name="DataFile">The file to import again: dataset_info.json (llamafactory) or the JSON file (viscot).</param>
/// <param name="Files">Every file written, relative to the output folder.</param>
/// <param name="BlobKeys">Keys in the exports container, when uploaded.</param>
public sealed record ExportReport(int ItemCount, string DataFile, string DataName, IReadOnlyList<string> Files, IReadOnlyList<string> BlobKeys);
