using System.CommandLine;
using System.Diagnostics;
using System.Security.Cryptography;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Spectre.Console;
using VisRL.Cli.Infrastructure;
using VisRL.Contracts.V1;
using VisRL.Platform.Blobs;
using VisRL.Platform.Configuration;
using VisRL.Platform.Messaging;
using VisRL.Platform.Persistence;
using VisRL.Platform.Persistence.Entities;

namespace VisRL.Cli.Commands;

/// <summary>
/// `visrl smoke`: the platform end to end on this machine — stack up, migrate, doctor, then one
/// message through RabbitMQ, one row through PostgreSQL and one blob through Azurite, each read back.
/// </summary>
internal static class SmokeCommand
{
    public static Command Create()
    {
        var command = new Command("smoke", "Bring up the stack, migrate, run the doctor, and round-trip a message, a row and a blob.");
        command.SetAction(async (_, ct) => await RunAsync(ct));
        return command;
    }

    private static async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        var step = await StackCommand.UpAsync(cancellationToken);
        if (step == 0) step = await DbCommand.MigrateAsync(cancellationToken);
        if (step == 0) step = await DoctorCommand.RunAsync(measureMatmul: true, cancellationToken);
        if (step != 0) return step;

        var settings = CliSettings.Load();
        var table = new Table().Border(TableBorder.Rounded).AddColumns("round trip", "result", "ms");
        table.AddRow(await Timed("message (RabbitMQ)", () => MessageAsync(cancellationToken)));
        table.AddRow(await Timed("row (PostgreSQL)", () => RowAsync(settings.GetVisRLSettings<DatabaseOptions>(), cancellationToken)));
        table.AddRow(await Timed("blob (Azurite)", () => BlobAsync(settings.GetVisRLSettings<BlobOptions>(), cancellationToken)));
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine("[green]smoke: ok[/]");
        return 0;
    }

    private static async Task<string> MessageAsync(CancellationToken cancellationToken)
    {
        using var host = CliHost.CreateWithBus();
        await host.StartAsync(cancellationToken);
        try
        {
            var bus = host.Services.GetRequiredService<IBus>();
            var client = bus.CreateRequestClient<Ping>(MessagingExtensions.PingQueue(CliHost.ServiceName), RequestTimeout.After(s: 30));
            var ping = new Ping(Guid.NewGuid(), DateTimeOffset.UtcNow);
            var pong = await client.GetResponse<Pong>(ping, cancellationToken);
            if (pong.Message.PingId != ping.PingId) throw new InvalidOperationException("the pong answers another ping");
            return $"ping {ping.PingId.ToString()[..8]} answered by {pong.Message.Service} (pid {pong.Message.ProcessId})";
        }
        finally
        {
            await host.StopAsync(CancellationToken.None);
        }
    }

    private static async Task<string> RowAsync(DatabaseOptions database, CancellationToken cancellationToken)
    {
        await using var db = PersistenceExtensions.CreateVisRLDbContext(database);
        var probe = new Probe { Id = Guid.NewGuid(), Kind = "smoke", Detail = $"visrl smoke on {Environment.MachineName}", CreatedAt = DateTimeOffset.UtcNow };
        db.Probes.Add(probe);
        await db.SaveChangesAsync(cancellationToken);
        var back = await db.Probes.AsNoTracking().SingleAsync(p => p.Id == probe.Id, cancellationToken);
        return $"probe {back.Id.ToString()[..8]} written and read back ({await db.Probes.CountAsync(cancellationToken)} probes in all)";
    }

    private static async Task<string> BlobAsync(BlobOptions blobs, CancellationToken cancellationToken)
    {
        var store = BlobExtensions.CreateStore(blobs);
        await store.EnsureContainersAsync(cancellationToken);
        var content = RandomNumberGenerator.GetBytes(64 * 1024);
        var written = await store.PutAsync(blobs.ExportsContainer, $"smoke/{Guid.NewGuid():N}.bin", content, "application/octet-stream", cancellationToken);
        var read = await store.GetAsync(written.Container, written.Key, cancellationToken);
        if (!read.AsSpan().SequenceEqual(content)) throw new InvalidOperationException("the blob came back different");
        return $"{written.Container}/{written.Key} ({written.Length:N0} bytes, sha256 {written.Sha256[..12]}… verified)";
    }

    private static async Task<string[]> Timed(string name, Func<Task<string>> roundTrip)
    {
        var clock = Stopwatch.StartNew();
        var result = await roundTrip();
        return [name, Markup.Escape(result), clock.ElapsedMilliseconds.ToString()];
    }
}
