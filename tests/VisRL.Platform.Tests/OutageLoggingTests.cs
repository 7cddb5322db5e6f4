using System.Collections.Concurrent;
using System.Net.Sockets;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Microsoft.EntityFrameworkCore;
using VisRL.Platform.Configuration;
using VisRL.Platform.Hosting;
using VisRL.Platform.Messaging;
using VisRL.Platform.Persistence;
using VisRL.Platform.Persistence.Entities;

namespace VisRL.Platform.Tests;

/// <summary>
/// While a consume waits out an outage, the log says so in one line per pause (and once when it goes
/// on); EF Core's echoes of the failed connections are Debug lines.
/// </summary>
public class OutageLoggingTests
{
    public sealed record FlakyWork(Guid Id);

    private static readonly ConcurrentDictionary<Guid, int> Attempts = new();
    private static readonly ConcurrentDictionary<Guid, bool> Done = new();

    /// <summary>The database refuses the first two attempts of each message.</summary>
    public sealed class FlakyConsumer : IConsumer<FlakyWork>
    {
        public Task Consume(ConsumeContext<FlakyWork> context)
        {
            if (Attempts.AddOrUpdate(context.Message.Id, 1, (_, n) => n + 1) <= 2)
                throw new NpgsqlException("Failed to connect to 127.0.0.1:5432", new SocketException((int)SocketError.ConnectionRefused));
            Done[context.Message.Id] = true;
            return Task.CompletedTask;
        }
    }

    private sealed class CapturedLogs : ILoggerProvider
    {
        public ConcurrentQueue<(string Category, LogLevel Level, string Message)> Lines { get; } = new();
        public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);
        public void Dispose() { }

        private sealed class Logger(CapturedLogs logs, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
            public bool IsEnabled(LogLevel logLevel) => true;
            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                logs.Lines.Enqueue((category, logLevel, formatter(state, exception)));
        }
    }

    [Fact]
    public async Task AConsumeThatWaitsOutAnOutageSaysSoOncePerPauseAndWhenItGoesOn()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Messaging:Transport"] = "InMemory" });
        builder.AddVisRLServiceDefaults("outage-log");
        builder.AddVisRLMessaging(bus => bus.AddConsumer<FlakyConsumer>());
        var logs = new CapturedLogs();
        builder.Logging.AddProvider(logs);
        using var host = builder.Build();
        await host.StartAsync();
        try
        {
            var work = new FlakyWork(Guid.NewGuid());
            await host.Services.GetRequiredService<IBus>().Publish(work);
            for (var i = 0; i < 100 && !Done.ContainsKey(work.Id); i++) await Task.Delay(100);
            Assert.True(Done.ContainsKey(work.Id), "the consume did not go on after the outage");
            Assert.Equal(3, Attempts[work.Id]); // two pauses, no quick retries spent on the outage

            var outage = logs.Lines.Where(l => l.Category == "VisRL.Outages").ToList();
            Assert.Equal(3, outage.Count);
            Assert.All(outage.Take(2), l => Assert.Equal(LogLevel.Warning, l.Level));
            Assert.Contains("waits for PostgreSQL: Failed to connect to 127.0.0.1:5432; tries again in 1 s (pause 1)", outage[0].Message);
            Assert.Contains("tries again in 2 s (pause 2)", outage[1].Message);
            Assert.Contains("went on after 2 pause(s) for an outage", outage[2].Message);
        }
        finally
        {
            await host.StopAsync();
        }
    }

    [Fact]
    public async Task EfCoresEchoesOfAFailedConnectionAreDebugLinesAndTheCallerGetsTheOutage()
    {
        var logs = new CapturedLogs();
        using var factory = LoggerFactory.Create(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Trace));
        var database = new DatabaseOptions { ConnectionString = $"Host=127.0.0.1;Port={DependencyGateTests.ClosedPort()};Database=x;Username=x;Password=x", MaxRetryCount = 0 };
        var options = new DbContextOptionsBuilder<VisRLDbContext>().UseVisRLDatabase(database).UseLoggerFactory(factory).Options;
        await using var db = new VisRLDbContext(options);

        var query = await Assert.ThrowsAnyAsync<Exception>(() => db.Runs.ToListAsync());
        db.Runs.Add(new Run { Id = Guid.NewGuid(), Name = "r", ConfigJson = "{}", Status = "running" });
        var save = await Assert.ThrowsAnyAsync<Exception>(() => db.SaveChangesAsync());

        Assert.StartsWith("PostgreSQL: Failed to connect", Outages.Reason(query));
        Assert.StartsWith("PostgreSQL: Failed to connect", Outages.Reason(save));
        Assert.Contains(logs.Lines, l => l.Category == "Microsoft.EntityFrameworkCore.Database.Connection" && l.Level == LogLevel.Debug
            && l.Message.StartsWith("An error occurred using the connection"));
        Assert.DoesNotContain(logs.Lines, l => l.Level >= LogLevel.Warning);
    }
}
