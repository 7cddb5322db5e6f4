using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace VisRL.Platform.Persistence;

internal sealed class DatabaseHealthCheck(IDbContextFactory<VisRLDbContext> contexts) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await using var db = await contexts.CreateDbContextAsync(cancellationToken);
            return await db.Database.CanConnectAsync(cancellationToken)
                ? HealthCheckResult.Healthy()
                : HealthCheckResult.Unhealthy("PostgreSQL refused the connection");
        }
        catch (Exception e)
        {
            return HealthCheckResult.Unhealthy($"PostgreSQL: {e.Message}", e);
        }
    }
}
