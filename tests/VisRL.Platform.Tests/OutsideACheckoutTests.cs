using VisRL.Cli.Infrastructure;

namespace VisRL.Platform.Tests;

/// <summary>The Docker image holds the published CLI and no repository: `db migrate` and `serve` must run there.</summary>
public class OutsideACheckoutTests
{
    [Fact]
    public void AFolderOutsideAnyCheckoutHasNoRoot()
    {
        var folder = Directory.CreateTempSubdirectory("visrl-no-repo-").FullName;
        try
        {
            Assert.Null(Repository.Find(null, [folder]));
            Assert.Equal(RepositoryPaths.Root, Repository.Find(null, [folder, AppContext.BaseDirectory]));
            Assert.Equal("/from/launcher", Repository.Find("/from/launcher", [folder]));
        }
        finally
        {
            Directory.Delete(folder);
        }
    }

    [Fact]
    public void WithoutARootThereIsNoStackEnvAndTheWorkFolderIsTemporary()
    {
        Assert.Null(CliSettings.StackEnvPath(null, null, "dev"));
        Assert.Equal(Path.Combine("/r", ".visrl", "stack-dev", "stack.env"), CliSettings.StackEnvPath(null, "/r", "dev"));
        Assert.Equal(Path.Combine("/s", "stack.env"), CliSettings.StackEnvPath("/s", null, "dev"));
        Assert.StartsWith(Path.GetTempPath(), CliStores.WorkFolderOf(null));
        Assert.Equal(Path.Combine("/r", ".visrl", "work"), CliStores.WorkFolderOf("/r"));
    }
}
