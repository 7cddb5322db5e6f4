using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using VisRL.Contracts.V1;
using VisRL.Platform.Hosting;
using VisRL.Platform.Messaging;

namespace VisRL.Platform.Tests;

/// <summary>Log lines written while a message is consumed carry its run, iteration and batch ids (JSON file sink).</summary>
public class WorkLogContextTests
{
    private static readonly TaskCompletionSource Consumed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public sealed class LoggingConsumer(ILogger<LoggingConsumer> logger) : IConsumer<SampleBatch>
    {
        public Task Consume(ConsumeContext<SampleBatch> context)
        {
            logger.LogInformation("sampling {Count} items", context.Message.ItemIds.Count);
            Consumed.TrySetResult();
            return Task.CompletedTask;
        }
    }

    [Fact]
    public async Task ConsumerLogLinesCarryTheWorkIds()
    {
        var logFile = Path.Combine(Path.GetTempPath(), $"visrl-log-{Guid.NewGuid():N}.json");
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Messaging:Transport"] = "InMemory",
            ["Log:JsonFile"] = logFile,
        });
        builder.AddVisRLServiceDefaults("log-test");
        builder.AddVisRLMessaging(bus => bus.AddConsumer<LoggingConsumer>());
        var message = new SampleBatch(Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(), 0, 1, [1, 2, 3], "policy", new SamplingSettings());
        try
        {
            using (var host = builder.Build())
            {
                await host.StartAsync();
                await host.Services.GetRequiredService<IBus>().Publish(message);
                await Consumed.Task.WaitAsync(TimeSpan.FromSeconds(20));
                await host.StopAsync();
            } // disposing the host flushes Serilog

            var line = File.ReadLines(logFile).Single(l => l.Contains("sampling 3 items"));
            Assert.Contains($"\"RunId\":\"{message.RunId}\"", line);
            Assert.Contains($"\"IterationId\":\"{message.IterationId}\"", line);
            Assert.Contains($"\"BatchId\":\"{message.BatchId}\"", line);
            Assert.Contains("\"Service\":\"log-test\"", line);
        }
        finally
        {
            File.Delete(logFile);
        }
    }
}
