using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using VisRL.Platform.Hosting;
using VisRL.Platform.Messaging;

namespace VisRL.Cli.Infrastructure;

/// <summary>A short-lived host for CLI commands that talk over the bus, wired like a service.</summary>
internal static class CliHost
{
    public const string ServiceName = "cli";

    public static IHost CreateWithBus()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Log:MinimumLevel"] = "Warning" });
        builder.Configuration.AddConfiguration(CliSettings.Load());
        builder.AddVisRLServiceDefaults(ServiceName);
        builder.AddVisRLMessaging();
        return builder.Build();
    }

    /// <summary>Publishes one message (its runtime type) through a host started for it, then stops the host.</summary>
    public static async Task PublishAsync(object message, CancellationToken cancellationToken)
    {
        using var host = CreateWithBus();
        await host.StartAsync(cancellationToken);
        await host.Services.GetRequiredService<IBus>().Publish(message, message.GetType(), cancellationToken);
        await host.StopAsync(cancellationToken);
    }
}
