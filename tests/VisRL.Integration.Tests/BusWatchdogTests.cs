using System.Collections.Concurrent;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using VisRL.Platform.Messaging;

namespace VisRL.Integration.Tests;

/// <summary>
/// A process that stops hearing its own ping queue while the broker takes connections restarts its bus (BusWatchdog),
/// reading as not ready meanwhile; one whose broker is out of reach waits instead, and one that stays deaf after its
/// restart stops (a failed worker).
/// </summary>
[Collection(StackCollection.Name)]
public class BusWatchdogTests
{
    public sealed record Echo(Guid Id);

    private static volatile bool Deaf;

    /// <summary>While <see cref="Deaf"/>, takes each message off the queue without handling it: no answer goes back.</summary>
    private sealed class DeafFilter : IFilter<ConsumeContext>
    {
        public Task Send(ConsumeContext context, IPipe<ConsumeContext> next) => Deaf ? Task.CompletedTask : next.Send(context);
        public void Probe(ProbeContext context) { }
    }

    public sealed class EchoConsumer : IConsumer<Echo>
    {
        public static readonly ConcurrentBag<Guid> Heard = [];

        public Task Consume(ConsumeContext<Echo> context)
        {
            Heard.Add(context.Message.Id);
            return Task.CompletedTask;
        }
    }

    [Fact]
    public async Task APingQueueThatStopsAnsweringRestartsTheBus_WhichThenConsumesAgain_ButABrokerOutOfReachIsWaitedOut()
    {
        var service = $"wd{Guid.NewGuid().ToString("N")[..8]}";
        var log = Path.Combine(Path.GetTempPath(), $"visrl-watchdog-{service}.json");
        using var rabbit = new TcpRelay(TestStack.RabbitPort);
        var builder = TestStack.ServiceHost(service, new Dictionary<string, string?>
        {
            ["Messaging:Port"] = rabbit.Port.ToString(), ["Messaging:SelfCheckSeconds"] = "2", ["Log:JsonFile"] = log, ["Log:MinimumLevel"] = "Debug",
        });
        builder.AddVisRLMessaging(bus =>
        {
            bus.AddConsumer<EchoConsumer>();
            bus.AddConfigureEndpointsCallback((name, endpoint) =>
            {
                if (name.EndsWith("-ping", StringComparison.Ordinal)) endpoint.UseFilter(new DeafFilter());
            });
        });
        using var host = builder.Build();
        try
        {
            await host.StartAsync();
            var bus = host.Services.GetRequiredService<IBus>();
            await EchoAsync(bus, "the host did not consume at start");
            var health = host.Services.GetRequiredService<HealthCheckService>();
            async Task<HealthReportEntry> SelfCheckAsync() => (await health.CheckHealthAsync(c => c.Tags.Contains("ready"))).Entries["bus-self-check"];
            Assert.Equal(HealthStatus.Healthy, (await SelfCheckAsync()).Status);

            // Pings go unanswered while MassTransit sees every queue ready, as when a connection's end never reached it:
            // the process reads as not ready, then restarts its bus.
            Deaf = true;
            await ServiceFleet.WaitUntilAsync(async () => (await SelfCheckAsync()).Status == HealthStatus.Unhealthy, TimeSpan.FromSeconds(60),
                "the readiness check did not report the unanswered pings");
            Assert.Equal("no answer from its own ping queue while every queue reads as ready", (await SelfCheckAsync()).Description);
            await ServiceFleet.WaitUntilAsync(() => Task.FromResult(Lines(log, "restarting the bus") == 1), TimeSpan.FromSeconds(60),
                () => $"the bus was not restarted\n{string.Join('\n', File.ReadLines(log).Where(l => l.Contains("BusWatchdog")))}");
            Deaf = false;
            await ServiceFleet.WaitUntilAsync(() => Task.FromResult(Lines(log, "bus restarted") == 1), TimeSpan.FromSeconds(60), "the restart did not end");
            Assert.Equal(1, Lines(log, "no answer from its own ping queue in 2 tries 2 s apart, while every queue reads as ready and the broker takes connections"));
            await EchoAsync(bus, "the restarted bus did not consume");
            await ServiceFleet.WaitUntilAsync(async () => (await SelfCheckAsync()).Status == HealthStatus.Healthy, TimeSpan.FromSeconds(30),
                "the readiness check did not recover after the restart");

            // A broker out of reach is an outage to wait out, not a reason to restart.
            rabbit.Cut();
            await Task.Delay(TimeSpan.FromSeconds(9));
            rabbit.Restore();
            await EchoAsync(bus, "the bus did not consume after the outage");
            Assert.Equal(1, Lines(log, "restarting the bus"));

            // Deaf for good: one more restart, then the watchdog fails, which stops the host (and the service exits with 1).
            var stopping = new TaskCompletionSource();
            host.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping.Register(() => stopping.TrySetResult());
            Deaf = true;
            await stopping.Task.WaitAsync(TimeSpan.FromSeconds(90));
            Assert.Equal(2, Lines(log, "restarting the bus"));
            var failed = host.Services.GetServices<IHostedService>().OfType<BackgroundService>().Single(w => w.ExecuteTask is { IsFaulted: true });
            Assert.Equal("the bus could not be restarted: the restarted bus does not answer either", failed.ExecuteTask!.Exception!.GetBaseException().Message);
        }
        finally
        {
            Deaf = false;
            using (var stopping = new CancellationTokenSource(TimeSpan.FromSeconds(15))) await host.StopAsync(stopping.Token);
            File.Delete(log);
        }
    }

    private static async Task EchoAsync(IBus bus, string failure)
    {
        var echo = new Echo(Guid.NewGuid());
        await bus.Publish(echo);
        await ServiceFleet.WaitUntilAsync(() => Task.FromResult(EchoConsumer.Heard.Contains(echo.Id)), TimeSpan.FromSeconds(60), failure);
    }

    private static int Lines(string log, string text) =>
        File.Exists(log) ? File.ReadLines(log).Count(line => line.Contains(text, StringComparison.Ordinal)) : 0;
}
