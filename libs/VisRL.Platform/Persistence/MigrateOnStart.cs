using Microsoft.EntityFrameworkCore;
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
        var pending = (await db.Database.GetPendingMigrationsAsync(cancellationToken)).ToList();
        if (pending.Count == 0) return;
        logger.LogInformation("Applying {Count} migration(s): {Migrations}", pending.Count, pending);
        await db.Database.MigrateAsync(cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
