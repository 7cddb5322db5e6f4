using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using VisRL.Contracts.V1;
using VisRL.Platform.Hosting;
using VisRL.Platform.Messaging;

namespace VisRL.Platform.Tests;

/// <summary>AddVisRLMessaging on the in-memory transport: the same wiring, no broker.</summary>
public class InMemoryMessagingTests
{
    [Fact]
    public async Task PingIsAnsweredByTheServiceThatOwnsTheQueue()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Messaging:Transport"] = "InMemory" });
        builder.AddVisRLServiceDefaults("unit-service");
        builder.AddVisRLMessaging();
        using var host = builder.Build();
        await host.StartAsync();
        try
        {
            var client = host.Services.GetRequiredService<IBus>()
                .CreateRequestClient<Ping>(new Uri("queue:unit-service-ping"), RequestTimeout.After(s: 10));
            var ping = new Ping(Guid.NewGuid(), DateTimeOffset.UtcNow);
            var pong = await client.GetResponse<Pong>(ping);
            Assert.Equal(ping.PingId, pong.Message.PingId);
            Assert.Equal("unit-service", pong.Message.Service);
            Assert.Equal(Environment.ProcessId, pong.Message.ProcessId);
        }
        finally
        {
            await host.StopAsync();
        }
    }

    [Fact]
    public void UsageTelemetryIsOff()
    {
        // Services run without internet access: MassTransit's usage report would only log a failure at every start.
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Messaging:Transport"] = "InMemory" });
        builder.AddVisRLServiceDefaults("unit-service");
        builder.AddVisRLMessaging();
        using var host = builder.Build();
        Assert.False(host.Services.GetRequiredService<IOptions<UsageTelemetryOptions>>().Value.Enabled);
    }
}
