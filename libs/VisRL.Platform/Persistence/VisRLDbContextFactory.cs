using Microsoft.EntityFrameworkCore;
using VisRL.Platform.Configuration;

namespace VisRL.Platform.Persistence;

/// <summary>Contexts for code that runs outside a host (CLI commands, benchmarks, tests).</summary>
public sealed class VisRLDbContextFactory(DatabaseOptions database) : IDbContextFactory<VisRLDbContext>
{
    public VisRLDbContext CreateDbContext() => PersistenceExtensions.CreateVisRLDbContext(database);
}
