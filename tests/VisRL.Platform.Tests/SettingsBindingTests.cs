using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using VisRL.Platform.Configuration;
using VisRL.Platform.Hosting;

namespace VisRL.Platform.Tests;

public class SettingsBindingTests
{
    private static IHost Build(Dictionary<string, string?> settings)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddVisRLServiceDefaults("unit");
        return builder.Build();
    }

    [Fact]
    public void BindsSectionsAndKeepsLocalDefaults()
    {
        using var host = Build(new() { ["Messaging:Port"] = "5999", ["Messaging:PrefetchCount"] = "7" });
        var messaging = host.Services.GetRequiredService<IOptions<MessagingOptions>>().Value;
        Assert.Equal(5999, messaging.Port);
        Assert.Equal(7, messaging.PrefetchCount);
        Assert.Equal("127.0.0.1", messaging.Host);
        Assert.Equal("unit", host.Services.GetRequiredService<IOptions<ServiceOptions>>().Value.Name);
        Assert.Contains("Port=5432", host.Services.GetRequiredService<IOptions<DatabaseOptions>>().Value.ConnectionString);
    }

    [Fact]
    public async Task InvalidValueStopsStartWithTheSettingNamed()
    {
        using var host = Build(new() { ["Messaging:Port"] = "70000" });
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.Contains("VISRL__MESSAGING__PORT", error.Message);
    }

    [Fact]
    public async Task MissingRequiredSettingStopsStartWithTheSettingNamed()
    {
        using var host = Build(new() { ["Database:ConnectionString"] = "" });
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.Contains("Database:ConnectionString (VISRL__DATABASE__CONNECTIONSTRING)", error.Message);
        Assert.Contains("required", error.Message);
    }

    [Fact]
    public void ReadsSettingsBeforeAHostExists()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Torch:Device"] = "gpu" }).Build();
        var error = Assert.Throws<OptionsValidationException>(() => configuration.GetVisRLSettings<TorchOptions>());
        Assert.Contains("VISRL__TORCH__DEVICE", error.Message);
    }
}
