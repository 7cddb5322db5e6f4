using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using VisRL.Contracts.V1;
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

    /// <summary>
    /// Publishes one message (its runtime type) through a host started for it, then stops the host. A command no queue
    /// takes (its service has never run on this broker) fails naming the service to start, instead of vanishing.
    /// </summary>
    public static async Task PublishAsync(object message, CancellationToken cancellationToken)
    {
        using var host = CreateWithBus();
        await host.StartAsync(cancellationToken);
        try
        {
            await host.Services.GetRequiredService<IBus>().Publish(message, message.GetType(), cancellationToken);
        }
        catch (MessageReturnedException)
        {
            throw new InvalidOperationException($"no queue on the broker takes {message.GetType().Name}: {ConsumerOf(message)} has never run on this broker; "
                + "start it (`visrl services up`, or the compose stack) and try again");
        }
        finally
        {
            await host.StopAsync(cancellationToken);
        }
    }

    private static string ConsumerOf(object command) => command switch
    {
        StartRun or StartIteration or ResumeIteration => "the Orchestrator",
        TrainStage or Evaluate => "the Trainer",
        _ => "its service",
    };
}
