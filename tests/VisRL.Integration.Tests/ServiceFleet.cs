using Microsoft.EntityFrameworkCore;
using VisRL.Platform.Configuration;
using VisRL.Platform.Messaging;
using VisRL.Platform.Persistence;

namespace VisRL.Integration.Tests;

/// <summary>
/// Workflow services as separate processes (their built dlls) on the test stack, named with a
/// prefix of the test's own (so their queues are the test's alone), against the test's database.
/// Disposing kills whatever still runs.
/// </summary>
public sealed class ServiceFleet(TestStack stack, DatabaseOptions database, string prefix, string scratch) : IDisposable
{
    private readonly List<ChildProcess.Running> _processes = [];
    private readonly HashSet<ChildProcess.Running> _killed = [];
    private readonly HashSet<ChildProcess.Running> _mayHitHeartbeatCrash = [];

    public string Prefix => prefix;

    /// <summary>The port the services reach RabbitMQ on (a <see cref="TcpRelay"/>'s, for an outage test); the stack's by default.</summary>
    public int BrokerPort { get; set; } = TestStack.RabbitPort;

    public Dictionary<string, string> Environment(string service)
    {
        var environment = stack.ServiceEnvironment(database);
        environment["VISRL__SERVICE__NAME"] = prefix + service;
        environment["VISRL__SERVICE__HEALTHPORT"] = "0";
        environment["VISRL__MESSAGING__RETRYINITIALINTERVALMS"] = "50";
        environment["VISRL__MESSAGING__PORT"] = BrokerPort.ToString();
        if (service is "sampler" or "critic" or "trainer")
        {
            environment["VISRL__TORCH__THREADS"] = "1";
            environment["VISRL__MESSAGING__PREFETCHCOUNT"] = "1"; // an idle replica is not starved by one that prefetched the queue
            environment["VISRL__MODELS__CACHEFOLDER"] = Path.Combine(scratch, "models");
        }
        if (service == "orchestrator") environment["VISRL__DATABASE__MIGRATEONSTART"] = "true";
        return environment;
    }

    /// <summary>Starts a replica of the service; <paramref name="settings"/> (environment variables) are this replica's own.</summary>
    public ChildProcess.Running Start(string service, IReadOnlyDictionary<string, string>? settings = null)
    {
        var project = char.ToUpperInvariant(service[0]) + service[1..];
        var environment = Environment(service);
        foreach (var (key, value) in settings ?? new Dictionary<string, string>()) environment[key] = value;
        return Start(ChildProcess.Dotnet(ChildProcess.ProjectDll($"VisRL.{project}", $"VisRL.{project}"), environment));
    }

    /// <summary>
    /// Settings that run a replica with its clock off by <paramref name="offset"/>, as on a host whose clock is wrong
    /// (libfaketime, installed by infra/install.sh).
    /// </summary>
    public static Dictionary<string, string> ClockOffBy(TimeSpan offset)
    {
        var library = new[] { "/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib" }
            .Select(d => Path.Combine(d, "faketime", "libfaketimeMT.so.1")).FirstOrDefault(File.Exists)
            ?? throw new FileNotFoundException("libfaketime is not installed (infra/install.sh installs the faketime package)");
        return new Dictionary<string, string>
        {
            ["LD_PRELOAD"] = library, ["FAKETIME"] = $"{(offset < TimeSpan.Zero ? "-" : "+")}{(int)Math.Abs(offset.TotalSeconds)}s",
            ["FAKETIME_DONT_FAKE_MONOTONIC"] = "1",
        };
    }

    /// <summary>Any other process of the test (e.g. `visrl serve`), watched and stopped with the services.</summary>
    public ChildProcess.Running Start(System.Diagnostics.ProcessStartInfo start)
    {
        var running = ChildProcess.Start(start);
        _processes.Add(running);
        return running;
    }

    /// <summary>SIGKILL: no graceful stop; the replica's unacknowledged message goes back to its queue.</summary>
    public async Task KillAsync(ChildProcess.Running replica)
    {
        _killed.Add(replica);
        replica.Process.Kill();
        await replica.Process.WaitForExitAsync();
    }

    /// <summary>Fails the test with the output of a service that exited without being killed.</summary>
    public void AssertAlive()
    {
        foreach (var p in _processes.Where(p => !_killed.Contains(p) && p.Process.HasExited && !(_mayHitHeartbeatCrash.Contains(p) && DiedOfHeartbeatCrash(p))))
            Assert.Fail($"a service exited ({p.Process.ExitCode}):\n{p.Output}");
    }

    /// <summary>
    /// A replica whose broker link a test silences: its client's missed-heartbeat check may end it with
    /// <see cref="DiedOfHeartbeatCrash"/>, which <see cref="AssertAlive"/> then lets pass. Any other exit still fails the test.
    /// </summary>
    public void MayHitHeartbeatCrash(ChildProcess.Running replica) => _mayHitHeartbeatCrash.Add(replica);

    /// <summary>
    /// RabbitMQ.Client 7.1.2 (the newest the registry has for MassTransit 8.4) closes a connection whose heartbeats
    /// stopped from an async void timer callback, which can throw ChannelClosedException when MassTransit is closing
    /// the same channels (rabbitmq-dotnet-client #1884; the callback catches it from #1876 on). .NET ends the process
    /// with 134 (SIGABRT); a supervisor (infra/services.sh, compose's restart policy) starts it again.
    /// </summary>
    public static bool DiedOfHeartbeatCrash(ChildProcess.Running replica) =>
        replica.Process is { HasExited: true, ExitCode: 134 } && replica.Output.Contains("at RabbitMQ.Client.Framing.Connection.HeartbeatReadTimerCallback");

    public string Output => string.Join("\n----\n", _processes.Select(p => p.Output));

    /// <summary>Starts the Orchestrator and waits until it has migrated the (empty) database.</summary>
    public async Task<ChildProcess.Running> StartOrchestratorAsync()
    {
        var orchestrator = Start("orchestrator");
        await WaitUntilAsync(async () =>
        {
            Assert.False(orchestrator.Process.HasExited, $"orchestrator exited:\n{orchestrator.Output}");
            try
            {
                await using var db = PersistenceExtensions.CreateVisRLDbContext(database);
                return !(await db.Database.GetPendingMigrationsAsync()).Any() && (await db.Database.GetAppliedMigrationsAsync()).Any();
            }
            catch (Npgsql.PostgresException) { return false; }
        }, TimeSpan.FromSeconds(60), "the orchestrator did not migrate the database");
        Assert.DoesNotContain(" ERR] ", orchestrator.Output); // a first start is no error
        return orchestrator;
    }

    /// <summary>Waits until each named queue (without the prefix) has at least the given consumers.</summary>
    public Task WaitForConsumersAsync(IReadOnlyDictionary<string, int> queues) => WaitUntilAsync(async () =>
    {
        AssertAlive();
        var actual = await QueuesAsync();
        return queues.All(q => actual.GetValueOrDefault(prefix + q.Key) >= q.Value);
    }, TimeSpan.FromSeconds(60), $"the services did not all start consuming ({string.Join(", ", queues.Keys)})");

    /// <summary>Queue name → consumer count, from the RabbitMQ management API.</summary>
    public static Task<Dictionary<string, int>> QueuesAsync() => BrokerQueues.ConsumersAsync(TestStack.ManagementPort);

    public static Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string what) => WaitUntilAsync(condition, timeout, () => what);

    /// <summary>Polls until the condition holds; <paramref name="what"/> is read at the timeout, so the services' output it names is the latest.</summary>
    public static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout, Func<string> what)
    {
        var until = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > until) throw new TimeoutException(what());
            await Task.Delay(200);
        }
    }

    public void Dispose()
    {
        foreach (var process in _processes) process.Dispose();
    }
}
