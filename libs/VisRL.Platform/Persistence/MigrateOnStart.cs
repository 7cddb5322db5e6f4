using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using VisRL.Platform.Configuration;

namespace VisRL.Platform.Persistence;

/// <summary>Applies pending migrations before consumers start, when Database:MigrateOnStart is set.</summary>
internal sealed class MigrateOnStart(IDbContextFactory<VisRLDbContext> contexts, IOptions<DatabaseOptions> options,
    ILogger<MigrateOnStart> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!options.Value.MigrateOnStart) return;
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        // EF Core reads the history table without first asking whether it exists, and on a fresh database logs
        // the failed read as an error before it migrates (dotnet/efcore#37328): with the table there, a first start logs none.
        await db.GetService<IHistoryRepository>().CreateIfNotExistsAsync(cancellationToken);
        var pending = (await db.Database.GetPendingMigrationsAsync(cancellationToken)).ToList();
        if (pending.Count == 0) return;
        logger.LogInformation("Applying {Count} migration(s): {Migrations}", pending.Count, pending);
        await db.Database.MigrateAsync(cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
