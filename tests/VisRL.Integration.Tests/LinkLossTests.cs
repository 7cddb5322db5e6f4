using System.Collections.Concurrent;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using VisRL.Platform.Messaging;

namespace VisRL.Integration.Tests;

/// <summary>A consume that its broker channel outlives must not hold its queue's consumer forever (LinkLossFilter).</summary>
[Collection(StackCollection.Name)]
public class LinkLossTests
{
    public sealed record Stall(Guid Id);

    /// <summary>
    /// Its first delivery of each message waits for something that no token ends, as a publish whose confirm was lost
    /// with the connection does (RabbitMQ.Client 7.1); a redelivery returns at once.
    /// </summary>
    public sealed class StallingConsumer : IConsumer<Stall>
    {
        public static readonly ConcurrentQueue<(Guid Id, bool Redelivered)> Deliveries = new();

        public async Task Consume(ConsumeContext<Stall> context)
        {
            Deliveries.Enqueue((context.Message.Id, context.ReceiveContext.Redelivered));
            if (!context.ReceiveContext.Redelivered) await new TaskCompletionSource().Task;
        }
    }

    [Fact]
    public async Task AConsumeStuckOnTheBrokerAsTheLinkDropsIsLeftBehind_AndItsQueueConsumesAgainOnceTheBrokerIsBack()
    {
        var message = new Stall(Guid.NewGuid());
        var log = Path.Combine(Path.GetTempPath(), $"visrl-linkloss-{message.Id:N}.json");
        using var rabbit = new TcpRelay(TestStack.RabbitPort);
        var builder = TestStack.ServiceHost($"ll{message.Id.ToString("N")[..8]}", new Dictionary<string, string?>
        {
            ["Messaging:Port"] = rabbit.Port.ToString(), ["Messaging:LinkLossGraceSeconds"] = "2", ["Log:JsonFile"] = log,
        });
        builder.AddVisRLMessaging(bus => bus.AddConsumer<StallingConsumer>());
        var host = builder.Build();
        try
        {
            await host.StartAsync();
            await host.Services.GetRequiredService<IBus>().Publish(message);
            await ServiceFleet.WaitUntilAsync(() => Task.FromResult(Delivered(message, redelivered: false)), TimeSpan.FromSeconds(30), "the message never arrived");

            rabbit.Cut();
            await Task.Delay(TimeSpan.FromSeconds(3)); // past the grace
            rabbit.Restore();
            await ServiceFleet.WaitUntilAsync(() => Task.FromResult(Delivered(message, redelivered: true)), TimeSpan.FromSeconds(60),
                "the queue never consumed again: its consumer still waits for the stuck consume");
        }
        finally
        {
            // Bounded: a host whose consume is stuck would wait for it forever.
            using (var stopping = new CancellationTokenSource(TimeSpan.FromSeconds(15))) await host.StopAsync(stopping.Token);
            host.Dispose();
        }
        var warning = File.ReadLines(log).FirstOrDefault(line => line.Contains("stopped waiting for", StringComparison.Ordinal));
        File.Delete(log);
        Assert.NotNull(warning);
        Assert.Contains("Stall", warning);
    }

    private static bool Delivered(Stall message, bool redelivered) =>
        StallingConsumer.Deliveries.Any(d => d.Id == message.Id && d.Redelivered == redelivered);
}
