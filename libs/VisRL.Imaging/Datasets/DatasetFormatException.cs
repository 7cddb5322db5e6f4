namespace VisRL.Imaging.Datasets;

/// <summary>The dataset as a whole cannot be read (missing file, unknown dataset name, unsupported format).
/// Problems with single rows are reported as <see cref="DatasetFailure"/>s instead.</summary>
public sealed class DatasetFormatException(string message, Exception? inner = null) : Exception(message, inner);
