namespace VisRL.Integration.Tests;

/// <summary>Real-world files shared beside the repository (../shared/fixtures, see ../shared/ENVIRONMENT.md).</summary>
internal static class SharedFixtures
{
    public static string RealImages { get; } = Find();

    private static string Find()
    {
        foreach (var candidate in new[] { Path.Combine(TestStack.Root, "..", "shared", "fixtures", "real-images"), Path.Combine(TestStack.Root, "shared", "fixtures", "real-images") })
            if (Directory.Exists(candidate)) return Path.GetFullPath(candidate);
        throw new DirectoryNotFoundException($"shared/fixtures/real-images not found beside {TestStack.Root}; the shared folder must sit beside the repository");
    }
}

internal static class MoveBackCounts
{
    /// <summary>How many messages moved, and how many consumers their queue had.</summary>
    public static (int Moved, uint Consumers) Counts(this VisRL.Platform.Messaging.MoveBack moveBack) => (moveBack.Moved.Count, moveBack.Consumers);
}
