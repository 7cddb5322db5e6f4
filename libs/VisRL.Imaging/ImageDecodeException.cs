namespace VisRL.Imaging;

/// <summary>
/// A file could not be decoded. The message always names the source (file name or "&lt;stream&gt;")
/// and the defect, e.g. "tel.jpg: truncated or corrupt JPEG data (Premature end of JPEG file)".
/// </summary>
public sealed class ImageDecodeException : Exception
{
    public ImageDecodeException(string source, string defect, Exception? inner = null)
        : base($"{source}: {defect}", inner)
    {
        SourceName = source;
        Defect = defect;
    }

    /// <summary>The file name, or "&lt;stream&gt;" when decoding bytes of unknown origin.</summary>
    public string SourceName { get; }

    public string Defect { get; }

    internal const string StreamName = "<stream>";
}
