namespace VisRL.Imaging.Datasets;

/// <summary>Resolves image references of a dataset against its image folder.</summary>
internal static class ImagePathResolver
{
    public static string Resolve(string reference, string imageFolder)
    {
        string path = VisCotPrompts.StripImageSuffix(reference);
        return Path.GetFullPath(Path.IsPathRooted(path) ? path : Path.Combine(imageFolder, path));
    }

    /// <summary>The path to write into a dataset file: relative to the dataset folder when inside it.</summary>
    public static string ForWriting(string imagePath, string folder)
    {
        string full = Path.GetFullPath(imagePath), root = Path.GetFullPath(folder);
        string relative = Path.GetRelativePath(root, full);
        return relative.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(relative) ? full : relative.Replace('\\', '/');
    }
}
