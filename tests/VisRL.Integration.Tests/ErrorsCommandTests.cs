using System.Collections.Concurrent;
using System.Text;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using RabbitMQ.Client;
using VisRL.Platform.Messaging;

namespace VisRL.Integration.Tests;

/// <summary>A message of the tests' own, for a consumer that does as <see cref="ChoreConsumer.Modes"/> says.</summary>
public sealed record Chore(string Name);

/// <summary>Does a chore, fails it past its retries ("throw"), quarantines a part of it ("part"), or holds it ("hold").</summary>
public sealed class ChoreConsumer : IConsumer<Chore>
{
    public static readonly ConcurrentDictionary<string, string> Modes = new();
    public static readonly TaskCompletionSource Released = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public async Task Consume(ConsumeContext<Chore> context)
    {
        var name = context.Message.Name;
        switch (Modes.GetValueOrDefault(name))
        {
            case "throw": throw new InvalidOperationException($"chore {name} is still broken");
            case "part": await context.QuarantineAsync(context.Message with { Name = name + "/part" }, $"a part of chore {name} is still broken"); break;
            case "hold": await Released.Task; break;
        }
    }
}

/// <summary>`visrl errors` and its show, retry and purge against the real broker: a queue of its own and its _error queue.</summary>
[Collection(StackCollection.Name)]
public class ErrorsCommandTests(TestStack stack)
{
    private static readonly string Cli = ChildProcess.ProjectDll("VisRL.Cli", "visrl");

    private const string Fault = """
        {"messageId":"5a000000-0000-0000-0000-000000000001","messageType":["urn:message:VisRL.Contracts.V1:SampleBatch"],
         "message":{"batchId":"7f000000-aaaa-bbbb-cccc-dddddddddddd","attempt":2,"itemIds":[11,12]}}
        """;

    /// <summary>The CLI's output, flattened (<see cref="ChildProcess.Flattened"/>).</summary>
    private async Task<(int ExitCode, string Output)> VisrlAsync(params string[] arguments) => await VisrlWithAsync([], arguments);

    private async Task<(int ExitCode, string Output)> VisrlWithAsync(Dictionary<string, string> settings, params string[] arguments)
    {
        var environment = stack.CliEnvironment();
        foreach (var (key, value) in settings) environment[key] = value;
        var (exitCode, output) = await ChildProcess.RunAsync(ChildProcess.Dotnet(Cli, environment, arguments), TimeSpan.FromSeconds(120));
        return (exitCode, ChildProcess.Flattened(output));
    }

    private static async Task<IConnection> ConnectAsync() =>
        await new ConnectionFactory { HostName = "127.0.0.1", Port = TestStack.RabbitPort }.CreateConnectionAsync();

    [Fact]
    public async Task ParkedMessagesAreListedShownWithTheirReasonsMovedBackWithoutTheirFailureHeadersAndPurged()
    {
        var queue = $"errors-test-{Guid.NewGuid().ToString()[..8]}";
        var other = $"{queue}-a-second-queue-whose-name-is-longer-than-most"; // names are printed whole, however long
        string[] queues = [queue, queue + "_error", other, other + "_error", other + "_skipped"];
        await using var connection = await ConnectAsync();
        await using var channel = await connection.CreateChannelAsync();
        foreach (var name in queues) await channel.QueueDeclareAsync(name, durable: false, exclusive: false, autoDelete: false);
        try
        {
            await ParkAsync(channel, other + "_error", "o-1", Fault, new() { ["MT-Fault-Message"] = "another failure" });
            await ParkAsync(channel, other + "_skipped", "o-2", Fault, new() { ["MT-Reason"] = "skip" });
            await ParkAsync(channel, queue + "_error", "m-1", Fault, new() { ["MT-Fault-Message"] = "images/a.png: unknown image format", ["MT-Fault-ExceptionType"] = "System.IO.InvalidDataException", ["MT-Host-MachineName"] = "worker-7" });
            await ParkAsync(channel, queue + "_error", "m-2", Fault, new() { ["MT-Fault-Message"] = "item 12: corrupt image", ["VisRL-Quarantined"] = "true" });
            await ParkAsync(channel, queue + "_error", "m-3", "this is not json", new() { ["MT-Fault-Message"] = "a body no consumer could read" });

            var (code, output) = await VisrlAsync("errors");
            Assert.True(code == 0, output);
            Assert.True(output.Contains($"{queue}_error: 3 message(s); back to {queue}, which has 0 consumer(s)"), output);
            Assert.Contains($"{other}_error: 1 message(s); back to {other}, which has 0 consumer(s)", output);
            Assert.Contains($"{other}_skipped: 1 message(s); back to {other}, which has 0 consumer(s)", output);
            (code, output) = await VisrlAsync("doctor", "--no-matmul");
            Assert.True(code == 0, output); // a warning, not a failure
            Assert.Contains($"{queue}_error (3)", output);
            Assert.Contains($"{other}_error (1)", output);
            Assert.Contains($"{other}_skipped (1)", output);
            (code, output) = await VisrlAsync("errors", "show", other + "_skipped");
            Assert.True(code == 0, output);
            Assert.Contains("o-2 failed (time not recorded)", output);
            Assert.Contains("reason: skipped: no consumer of its queue takes this message type", output);
            (code, output) = await VisrlAsync("errors", "retry", other + "_skipped");
            Assert.True(code == 0, output);
            Assert.Contains($"moved 1 message(s) from {other}_skipped back to {other}", output);
            Assert.Equal((0u, 1u, 1u), (await channel.MessageCountAsync(other + "_skipped"), await channel.MessageCountAsync(other + "_error"), await channel.MessageCountAsync(other)));

            (code, output) = await VisrlAsync("errors", "show", queue, "--limit", "5");
            Assert.True(code == 0, output);
            Assert.Contains("SampleBatch m-1", output);
            Assert.Contains("images/a.png: unknown image format", output);
            Assert.Contains("System.IO.InvalidDataException", output);
            Assert.Contains("batchId=7f000000-aaaa-bbbb-cccc-dddddddddddd attempt=2 itemIds=[2]", output);
            Assert.Contains("quarantined", output);
            Assert.Contains("(not JSON) m-3", output);
            Assert.Equal(3u, await channel.MessageCountAsync(queue + "_error")); // show takes nothing

            (code, output) = await VisrlAsync("errors", "retry", queue + "_error", "--limit", "1");
            Assert.True(code == 0, output);
            Assert.Contains($"moved 1 message(s) from {queue}_error back to {queue}", output);
            Assert.Contains($"nothing consumes {queue} now", output);
            Assert.Contains($"one whose round has moved on comes back here with the reason (`visrl errors show {queue}_error`)", output);
            var back = await channel.BasicGetAsync(queue, autoAck: true);
            Assert.NotNull(back);
            Assert.Equal(("m-1", Fault), (back.BasicProperties.MessageId, Encoding.UTF8.GetString(back.Body.Span)));
            var headers = back.BasicProperties.Headers!;
            Assert.False(headers.ContainsKey("MT-Fault-Message"));
            Assert.False(headers.ContainsKey("MT-Fault-ExceptionType"));
            Assert.Equal("worker-7", Encoding.UTF8.GetString((byte[])headers["MT-Host-MachineName"]!));
            Assert.True(headers.ContainsKey("VisRL-Moved-Back")); // its consumer tries failed items again

            (code, output) = await VisrlAsync("errors", "retry", queue);
            Assert.True(code == 0, output);
            Assert.Contains("moved 2 message(s)", output);
            Assert.Equal((0u, 2u), (await channel.MessageCountAsync(queue + "_error"), await channel.MessageCountAsync(queue)));
            Assert.Equal("m-2", (await channel.BasicGetAsync(queue, autoAck: true))!.BasicProperties.MessageId); // in their order
            Assert.Equal("m-3", (await channel.BasicGetAsync(queue, autoAck: true))!.BasicProperties.MessageId);

            (code, output) = await VisrlAsync("errors", "show", queue);
            Assert.True(code == 0, output);
            Assert.Contains($"{queue}_error is empty", output);

            // Purge drops only what is parked, and only when confirmed.
            await ParkAsync(channel, queue + "_error", "m-4", Fault, new() { ["MT-Fault-Message"] = "inspected, not worth mending" });
            (code, output) = await VisrlAsync("errors", "purge", queue);
            Assert.Equal(1, code);
            Assert.Contains($"purge drops every message of {queue}_error for good; add --yes", output);
            Assert.Equal(1u, await channel.MessageCountAsync(queue + "_error"));
            (code, output) = await VisrlAsync("errors", "purge", queue, "--yes");
            Assert.True(code == 0, output);
            Assert.Contains($"dropped 1 message(s) from {queue}_error", output);
            Assert.Equal((0u, 0u), (await channel.MessageCountAsync(queue + "_error"), await channel.MessageCountAsync(queue)));
        }
        finally
        {
            foreach (var name in queues) await channel.QueueDeleteAsync(name);
        }
    }

    /// <summary>
    /// `visrl errors retry` follows what it moved, through a real consumer on the real broker: MassTransit's fault path
    /// parks a message that fails again with the stamp it went back with, a quarantined part names the message and
    /// the move-back it was cut from, and a handled message is reported by the services' filter.
    /// </summary>
    [Fact]
    public async Task RetrySaysWhatBecameOfEachMovedMessage_HandledPartlyQuarantinedBackWholeOrNotYetReported()
    {
        var service = $"errors-follow-{Guid.NewGuid().ToString()[..8]}";
        var queue = MessagingExtensions.EndpointNames(service).Consumer<ChoreConsumer>();
        var builder = TestStack.ServiceHost(service, new Dictionary<string, string?>
        {
            ["Messaging:RetryLimit"] = "1", ["Messaging:RetryInitialIntervalMs"] = "20", ["Messaging:RetryMaxIntervalMs"] = "20",
        });
        builder.AddVisRLMessaging(bus => bus.AddConsumer<ChoreConsumer>());
        using var host = builder.Build();
        string[] chores = ["a", "b", "c", "d"];
        foreach (var chore in chores) ChoreConsumer.Modes[chore] = "throw";
        await host.StartAsync();
        var errors = new ErrorQueueBroker(stack.Messaging);
        await using var connection = await ConnectAsync();
        await using var channel = await connection.CreateChannelAsync();
        await channel.QueueDeclareAsync(queue + "_error", durable: true, exclusive: false, autoDelete: false); // as MassTransit declares it
        try
        {
            var bus = host.Services.GetRequiredService<IBus>();
            foreach (var chore in chores) await bus.Publish(new Chore(chore));
            await ServiceFleet.WaitUntilAsync(async () => (await channel.MessageCountAsync(queue + "_error")) == 4,
                TimeSpan.FromSeconds(30), () => "the four chores did not fail into the _error queue");
            var ids = (await errors.PeekAsync(queue, 10, CancellationToken.None)).ToDictionary(m => m.Fields, m => m.MessageId);

            (ChoreConsumer.Modes["a"], ChoreConsumer.Modes["b"], ChoreConsumer.Modes["d"]) = ("done", "part", "hold");
            var (code, output) = await VisrlAsync("errors", "retry", queue, "--wait", "8");
            Assert.Equal(1, code);
            Assert.Contains($"moved 4 message(s) from {queue}_error back to {queue}", output);
            Assert.Contains($"Chore {ids["name=a"]} (name=a): handled ", output);
            Assert.Contains($"Chore {ids["name=b"]} (name=b): handled; a part (name=b/part) is back in {queue}_error: a part of chore b is still broken", output);
            Assert.Contains($"Chore {ids["name=c"]} (name=c): back in {queue}_error: chore c is still broken", output);
            Assert.Contains($"Chore {ids["name=d"]} (name=d): no report yet: still queued, or being worked on", output);
            Assert.Contains($"error: 3 of 4 moved message(s) did not go through, 1 did: 1 handled with a part or all of it back in {queue}_error, 1 back whole, "
                + "1 not reported handled within 8 s", output);

            // Mended, the part and the chore that failed again go through; `show` names the message a part was cut from.
            (code, output) = await VisrlAsync("errors", "show", queue);
            Assert.Contains($"(cut from {ids["name=b"]})", output);
            ChoreConsumer.Released.TrySetResult();
            (ChoreConsumer.Modes["b/part"], ChoreConsumer.Modes["c"]) = ("done", "done");
            (code, output) = await VisrlAsync("errors", "retry", queue);
            Assert.True(code == 0, output);
            Assert.Contains($"moved 2 message(s) from {queue}_error back to {queue}", output);
            Assert.Contains($"Chore {ids["name=c"]} (name=c): handled", output);
            Assert.Contains("(name=b/part): handled", output);
            Assert.Contains("all 2 handled", output);
            Assert.Empty(await errors.PeekAsync(queue, 10, CancellationToken.None));
        }
        finally
        {
            ChoreConsumer.Released.TrySetResult();
            await host.StopAsync();
            foreach (var name in new[] { queue, queue + "_error", queue + "_skipped" }) await channel.QueueDeleteAsync(name);
        }
    }

    [Fact]
    public async Task AnUnknownQueueABadLimitAndAnUnreachableManagementApiAreEachNamed()
    {
        var (code, output) = await VisrlAsync("errors", "show", "no-such-queue");
        Assert.Equal(1, code);
        Assert.Contains("there is no queue 'no-such-queue_error' on the broker at 127.0.0.1:", output);

        (code, output) = await VisrlAsync("errors", "retry", "no-such-queue", "--limit", "0");
        Assert.NotEqual(0, code);
        Assert.Contains("--limit must be ≥ 1", output);
        (code, output) = await VisrlAsync("errors", "retry", "no-such-queue", "--wait", "-1");
        Assert.NotEqual(0, code);
        Assert.Contains("--wait must be ≥ 0", output);

        (code, output) = await VisrlWithAsync(new() { ["VISRL__MESSAGING__MANAGEMENTPORT"] = "1" }, "errors");
        Assert.Equal(1, code);
        Assert.Contains("the RabbitMQ management API at 127.0.0.1:1 is unreachable", output);
        Assert.Contains("VISRL__MESSAGING__MANAGEMENTPORT", output);
    }

    private static async Task ParkAsync(IChannel channel, string parkingQueue, string id, string body, Dictionary<string, string> headers)
    {
        var properties = new BasicProperties { MessageId = id, Headers = headers.ToDictionary(h => h.Key, h => (object?)h.Value) };
        await channel.BasicPublishAsync("", parkingQueue, mandatory: true, properties, Encoding.UTF8.GetBytes(body));
    }
}
