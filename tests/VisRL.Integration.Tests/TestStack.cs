using System.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using VisRL.Platform.Hosting;
using VisRL.Platform.Configuration;
using VisRL.Platform.Persistence;

namespace VisRL.Integration.Tests;

/// <summary>
/// The real RabbitMQ, PostgreSQL and Azurite of an isolated "test" stack on its own ports, started
/// by the project's own infra/stack.sh (so it runs beside a developer's stack). Left running for
/// the next test run; infra/test.sh stops it at the end.
/// </summary>
public sealed class TestStack : IAsyncLifetime
{
    /// <summary>VISRL_TEST_PORT_OFFSET moves every port, so two checkouts can test at once.</summary>
    private static readonly int PortOffset = int.TryParse(Environment.GetEnvironmentVariable("VISRL_TEST_PORT_OFFSET"), out var o) ? o : 0;

    public static readonly int RabbitPort = 5682 + PortOffset, ManagementPort = 15682 + PortOffset, DistPort = 25682 + PortOffset,
        EpmdPort = 4379 + PortOffset, PostgresPort = 5442 + PortOffset, AzuritePort = 10010 + PortOffset;

    public static string Root { get; } = FindRoot();

    public static Dictionary<string, string> StackVariables(string name, int offset) => new()
    {
        ["VISRL_STACK_NAME"] = name,
        ["VISRL_RABBITMQ_PORT"] = (RabbitPort + offset).ToString(),
        ["VISRL_RABBITMQ_MGMT_PORT"] = (ManagementPort + offset).ToString(),
        ["VISRL_RABBITMQ_DIST_PORT"] = (DistPort + offset).ToString(),
        ["VISRL_EPMD_PORT"] = (EpmdPort + offset).ToString(),
        ["VISRL_POSTGRES_PORT"] = (PostgresPort + offset).ToString(),
        ["VISRL_AZURITE_PORT"] = (AzuritePort + offset).ToString(),
        ["VISRL_BROKER_FRESH"] = "1", // the queues of earlier test runs would only slow the broker's start
    };

    public MessagingOptions Messaging => new() { Port = RabbitPort, ManagementPort = ManagementPort };
    public DatabaseOptions Database => new() { ConnectionString = ConnectionString("visrl") };
    public BlobOptions Blobs => new()
    {
        ConnectionString = new BlobOptions().ConnectionString.Replace("127.0.0.1:10000", $"127.0.0.1:{AzuritePort}"),
    };

    /// <summary>The VISRL__ variables a child process needs to use this stack.</summary>
    public Dictionary<string, string> ServiceEnvironment(DatabaseOptions? database = null) => new()
    {
        ["VISRL__MESSAGING__PORT"] = RabbitPort.ToString(),
        ["VISRL__MESSAGING__MANAGEMENTPORT"] = ManagementPort.ToString(),
        ["VISRL__DATABASE__CONNECTIONSTRING"] = (database ?? Database).ConnectionString,
        ["VISRL__BLOBS__CONNECTIONSTRING"] = Blobs.ConnectionString,
    };

    /// <summary>The CLI as a process on this stack: <see cref="ServiceEnvironment"/>, no stack.env (only these variables count), 250 columns.</summary>
    public Dictionary<string, string> CliEnvironment(DatabaseOptions? database = null)
    {
        var environment = ServiceEnvironment(database);
        environment["VISRL_ROOT"] = Root;
        environment["VISRL_STACK_NAME"] = "cli-none";
        environment["COLUMNS"] = "250";
        return environment;
    }

    /// <summary>
    /// An in-process service host on this stack, wired like a service: its own name (so its queues are
    /// its own), the stack's broker, warnings only; <paramref name="settings"/> add or override settings.
    /// </summary>
    public static HostApplicationBuilder ServiceHost(string service, IDictionary<string, string?>? settings = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        var all = new Dictionary<string, string?> { ["Messaging:Port"] = RabbitPort.ToString(), ["Log:MinimumLevel"] = "Warning" };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>()) all[key] = value;
        builder.Configuration.AddInMemoryCollection(all);
        builder.AddVisRLServiceDefaults(service);
        return builder;
    }

    public static string ConnectionString(string database) =>
        $"Host=127.0.0.1;Port={PostgresPort};Database={database};Username=visrl;Password=visrl";

    public async Task InitializeAsync()
    {
        var (exitCode, output) = await RunScriptAsync("infra/stack.sh", ["up"], StackVariables("test", 0), TimeSpan.FromMinutes(3));
        if (exitCode != 0) throw new InvalidOperationException($"infra/stack.sh up failed ({exitCode}):\n{output}");
    }

    public Task DisposeAsync() => Task.CompletedTask;

    /// <summary>A new, empty database (the role may create them), so each test owns its schema.</summary>
    /// <summary>A fresh database with every migration applied.</summary>
    public static async Task<DatabaseOptions> CreateMigratedDatabaseAsync()
    {
        var database = await CreateEmptyDatabaseAsync();
        await using var db = PersistenceExtensions.CreateVisRLDbContext(database);
        await db.Database.MigrateAsync();
        return database;
    }

    public static async Task<DatabaseOptions> CreateEmptyDatabaseAsync()
    {
        var name = $"visrl_test_{Guid.NewGuid():N}"[..30];
        await using var connection = new NpgsqlConnection(ConnectionString("visrl"));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
        await command.ExecuteNonQueryAsync();
        return new DatabaseOptions { ConnectionString = ConnectionString(name) };
    }

    /// <summary>
    /// Sets the database's clock (its now()) <paramref name="ahead"/> of this machine's, as on a database host whose
    /// clock is off: a now() of its own, found first on the search path. For a migrated database (new tables would
    /// land in that schema); connections opened before keep the true clock.
    /// </summary>
    public static async Task SkewClockAsync(DatabaseOptions database, TimeSpan ahead)
    {
        var name = new NpgsqlConnectionStringBuilder(database.ConnectionString).Database;
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"""
            CREATE SCHEMA skewed_clock;
            CREATE FUNCTION skewed_clock.now() RETURNS timestamptz LANGUAGE sql STABLE
                AS $$ SELECT pg_catalog.now() + interval '{(int)ahead.TotalSeconds} seconds' $$;
            ALTER DATABASE {name} SET search_path = skewed_clock, pg_catalog, public;
            """, connection);
        await command.ExecuteNonQueryAsync();
        NpgsqlConnection.ClearAllPools();
    }

    public static async Task<(int ExitCode, string Output)> RunScriptAsync(string script, string[] arguments,
        IDictionary<string, string> environment, TimeSpan timeout)
    {
        var start = new ProcessStartInfo("bash") { WorkingDirectory = Root };
        start.ArgumentList.Add(Path.Combine(Root, script));
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        foreach (var (key, value) in environment) start.Environment[key] = value;
        return await ChildProcess.RunAsync(start, timeout);
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "VisRL.Workflow.sln"))) return dir.FullName;
        throw new InvalidOperationException("repository root not found above " + AppContext.BaseDirectory);
    }
}

[CollectionDefinition(Name)]
public sealed class StackCollection : ICollectionFixture<TestStack>
{
    public const string Name = "real servers";
}
