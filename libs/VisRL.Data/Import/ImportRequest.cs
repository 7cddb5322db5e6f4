namespace VisRL.Data.Import;

/// <param name="Path">llamafactory: the dataset_info.json; viscot: the JSON (or JSON lines) file.</param>
/// <param name="SourceDatasetName">llamafactory: the entry inside dataset_info.json.</param>
/// <param name="ImagesFolder">Where relative image paths start; by default the file's folder.</param>
public sealed record ImportRequest(DatasetFileFormat Format, string Path, string? SourceDatasetName, string? ImagesFolder, string Name, string Split);
