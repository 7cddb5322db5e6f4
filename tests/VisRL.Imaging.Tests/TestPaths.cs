namespace VisRL.Imaging.Tests;

/// <summary>Finds the shared fixtures (beside the repository: &lt;root&gt;/main and &lt;root&gt;/shared).</summary>
internal static class TestPaths
{
    private static readonly Lazy<string> RealImagesLazy = new(FindRealImages);

    public static string RealImages => RealImagesLazy.Value;

    public static string RealImage(string name) => Path.Combine(RealImages, name);

    private static string FindRealImages()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            foreach (var candidate in new[] { Path.Combine(dir.FullName, "shared", "fixtures", "real-images"), Path.Combine(dir.FullName, "..", "shared", "fixtures", "real-images") })
                if (Directory.Exists(candidate)) return Path.GetFullPath(candidate);
        }
        throw new DirectoryNotFoundException($"shared/fixtures/real-images not found above {AppContext.BaseDirectory}; the shared folder must sit beside the repository");
    }

    public static string NewTempDirectory()
    {
        string path = Path.Combine(Path.GetTempPath(), "visrl-imaging-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(path);
        return path;
    }
}
