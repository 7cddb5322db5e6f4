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
