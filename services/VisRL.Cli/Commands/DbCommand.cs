using System.CommandLine;
using Microsoft.EntityFrameworkCore;
using Spectre.Console;
using VisRL.Cli.Infrastructure;
using VisRL.Platform.Configuration;
using VisRL.Platform.Persistence;

namespace VisRL.Cli.Commands;

/// <summary>`visrl db migrate`: applies the EF Core migrations (schema and SQL views).</summary>
internal static class DbCommand
{
    public static Command Create()
    {
        var migrate = new Command("migrate", "Apply pending migrations to the configured PostgreSQL database.");
        migrate.SetAction(async (_, ct) => await MigrateAsync(ct));
        return new Command("db", "The PostgreSQL schema.") { migrate };
    }

    public static async Task<int> MigrateAsync(CancellationToken cancellationToken)
    {
        var database = CliSettings.Load().GetVisRLSettings<DatabaseOptions>();
        await using var db = PersistenceExtensions.CreateVisRLDbContext(database);
        var pending = (await db.Database.GetPendingMigrationsAsync(cancellationToken)).ToList();
        if (pending.Count == 0)
        {
            AnsiConsole.MarkupLine("[green]database schema is up to date[/]");
            return 0;
        }
        await db.Database.MigrateAsync(cancellationToken);
        AnsiConsole.MarkupLine($"[green]applied {pending.Count} migration(s):[/] {Markup.Escape(string.Join(", ", pending))}");
        return 0;
    }
}
