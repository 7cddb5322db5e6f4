using VisRL.Platform.Configuration;

namespace VisRL.Platform.Tests;

public class SettingsCatalogTests
{
    private static SettingsCatalog Catalog()
    {
        var catalog = new SettingsCatalog();
        catalog.Add("Messaging", typeof(MessagingOptions));
        catalog.Add("Database", typeof(DatabaseOptions));
        return catalog;
    }

    [Theory]
    [InlineData("VISRL__MESSAGING__HOST")]
    [InlineData("VISRL__MESSAGING__PREFETCHCOUNT")]
    [InlineData("visrl__database__connectionstring")]
    [InlineData("VISRL__Database__MigrateOnStart")]
    [InlineData("OTHER__PREFIX__IGNORED")]
    public void KnownOrForeignVariablesPass(string name) => Assert.Empty(Catalog().FindUnknown([name]));

    [Theory]
    [InlineData("VISRL__MESAGING__HOST", "there is no section 'MESAGING'")]
    [InlineData("VISRL__MESSAGING__HOSTNAME", "Messaging has no setting 'HOSTNAME'")]
    [InlineData("VISRL__MESSAGING__PORT__EXTRA", "Messaging:Port is a single value")]
    [InlineData("VISRL__MESSAGING", "expected VISRL__SECTION__SETTING")]
    [InlineData("VISRL__DATABASE____X", "expected VISRL__SECTION__SETTING")]
    public void UnknownVariablesAreNamedWithTheReason(string name, string reason)
    {
        var error = Assert.Single(Catalog().FindUnknown([name, "VISRL__MESSAGING__HOST"]));
        Assert.Contains(name, error);
        Assert.Contains(reason, error);
    }

    [Fact]
    public void SettingKeysSpellBothForms()
    {
        Assert.Equal("VISRL__DATABASE__CONNECTIONSTRING", SettingKey.ToEnvironment("Database:ConnectionString"));
        Assert.Equal("Messaging:Port (VISRL__MESSAGING__PORT)", SettingKey.Describe("Messaging:Port"));
    }
}

/// <summary>The CLI's catalog knows every section a service binds, so a service's VISRL__ variable never stops the CLI.</summary>
public class CliSettingsCatalogTests
{
    [Fact]
    public void TheCliKnowsEverySettingsSectionInTheSources()
    {
        // Source folders only: .visrl/ holds the stack's data, PostgreSQL's folder unreadable to others.
        var sections = new[] { "libs", "services", "contracts", "migrations", "benchmarks" }
            .SelectMany(folder => Directory.EnumerateFiles(Path.Combine(RepositoryPaths.Root, folder), "*.cs", SearchOption.AllDirectories))
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}") && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}"))
            .SelectMany(f => System.Text.RegularExpressions.Regex.Matches(File.ReadAllText(f), @"^\[Settings\(""(\w+)""\)\]", System.Text.RegularExpressions.RegexOptions.Multiline))
            .Select(m => m.Groups[1].Value)
            .ToHashSet();
        Assert.Contains("Models", sections); // the scan finds what it looks for
        var known = VisRL.Cli.Infrastructure.CliSettings.Catalog().Sections;
        Assert.Empty(sections.Except(known));
    }

    [Theory]
    [InlineData("VISRL__MODELS__CACHEFOLDER")]
    [InlineData("VISRL__MODELS__KEEP")]
    [InlineData("VISRL__TORCH__DEVICE")]
    public void TheVariablesTheScriptsAndComposeSetAreKnown(string name) =>
        Assert.Empty(VisRL.Cli.Infrastructure.CliSettings.Catalog().FindUnknown([name]));
}
