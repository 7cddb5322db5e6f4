using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using VisRL.Platform.Configuration;
using VisRL.Platform.Hosting;

namespace VisRL.Platform.Persistence;

public static class PersistenceExtensions
{
    public const string MigrationsAssembly = "VisRL.Migrations";

    /// <summary>EF Core 10 over Npgsql with retry on transient failure; migrations at start when configured.</summary>
    public static IHostApplicationBuilder AddVisRLPersistence(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddVisRLSettings<DatabaseOptions>(builder.Configuration);
        services.AddDbContextFactory<VisRLDbContext>((sp, options) =>
            options.UseVisRLDatabase(sp.GetRequiredService<IOptions<DatabaseOptions>>().Value));
        services.AddStartupDependency(sp => DatabaseEndpoint(sp.GetRequiredService<IOptions<DatabaseOptions>>().Value));
        services.AddHostedService<MigrateOnStart>();
        services.AddHealthChecks().AddCheck<DatabaseHealthCheck>("database", tags: ["ready"]);
        return builder;
    }

    public static DbContextOptionsBuilder<VisRLDbContext> UseVisRLDatabase(this DbContextOptionsBuilder<VisRLDbContext> options,
        DatabaseOptions database)
    {
        ((DbContextOptionsBuilder)options).UseVisRLDatabase(database);
        return options;
    }

    public static DbContextOptionsBuilder UseVisRLDatabase(this DbContextOptionsBuilder options, DatabaseOptions database) =>
        options
            .UseNpgsql(database.ConnectionString, npgsql => npgsql
                .MigrationsAssembly(MigrationsAssembly)
                .MigrationsHistoryTable("__ef_migrations_history")
                .EnableRetryOnFailure(database.MaxRetryCount))
            // Migrations are hand-written SQL (EF's design-time packages cannot be had here), so
            // there is no model snapshot to compare with; a test checks schema against model instead.
            // A Take without an OrderBy returns whichever rows the plan gives: a bug here, so it throws.
            .ConfigureWarnings(w => w.Ignore(RelationalEventId.PendingModelChangesWarning)
                .Throw(CoreEventId.RowLimitingOperationWithoutOrderByWarning)
                // EF's echoes of an exception its caller gets: a connection that fails or breaks, a query or a
                // save that fails (with its stack). The caller reports it, once: an outage as one warning per
                // pause while it is waited out, anything else as its own error. A failing command keeps its
                // error log, which names the SQL.
                .Log((RelationalEventId.ConnectionError, LogLevel.Debug),
                    (CoreEventId.QueryIterationFailed, LogLevel.Debug),
                    (CoreEventId.SaveChangesFailed, LogLevel.Debug)));

    /// <summary>A context outside any host (CLI commands, tests).</summary>
    public static VisRLDbContext CreateVisRLDbContext(DatabaseOptions database) =>
        new(new DbContextOptionsBuilder<VisRLDbContext>().UseVisRLDatabase(database).Options);

    public static DependencyEndpoint DatabaseEndpoint(DatabaseOptions database)
    {
        var key = SettingKey.ToEnvironment("Database:ConnectionString");
        NpgsqlConnectionStringBuilder parsed;
        try { parsed = new NpgsqlConnectionStringBuilder(database.ConnectionString); }
        catch (ArgumentException e)
        {
            throw new OptionsValidationException("Database", typeof(DatabaseOptions),
                [$"Setting {SettingKey.Describe("Database:ConnectionString")} is not a valid connection string: {e.Message}"]);
        }
        return new DependencyEndpoint("PostgreSQL", parsed.Host ?? "localhost", parsed.Port, key);
    }
}
