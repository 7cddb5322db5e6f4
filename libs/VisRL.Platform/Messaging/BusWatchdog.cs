using MassTransit;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using VisRL.Contracts.V1;
using VisRL.Platform.Configuration;
using VisRL.Platform.Hosting;

namespace VisRL.Platform.Messaging;

/// <summary>
/// Restarts the bus of a process whose queues stopped consuming without a word. RabbitMQ.Client 7.1 can lose a
/// connection's shutdown on its way to the consumers (an ObjectDisposedException in its publisher-confirm handling
/// when a publish is in flight as the link drops; rabbitmq-dotnet-client #1802, #1865): MassTransit then never
/// learns that its queues are gone, and the process, still publishing on a new connection, consumes nothing again
/// (a Trainer in 4 of 61 looped runs of its broker-cut test). Every Messaging:SelfCheckSeconds the process asks its own ping
/// queue; the answer comes back on the same connection as all its queues, so two answers lost in a row while
/// MassTransit reports every queue ready and the broker takes TCP connections mean that connection is dead to
/// everyone but MassTransit.
/// </summary>
internal sealed class BusWatchdog(IBusControl bus, IOptions<MessagingOptions> messaging, IOptions<ServiceOptions> service,
    BusSelfCheck selfCheck, ILogger<BusWatchdog> logger) : BackgroundService
{
    private const int MissesBeforeRestart = 2;

    /// <summary>
    /// A stop on a dead connection waits out the client's 20 s timeout at each step (consumer cancel, channel close,
    /// connection close); one cut short leaves the bus half stopped, and it will not start again.
    /// </summary>
    private static readonly TimeSpan StopPatience = TimeSpan.FromMinutes(2);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var period = TimeSpan.FromSeconds(messaging.Value.SelfCheckSeconds);
        var (misses, restarted) = (0, false);
        using var timer = new PeriodicTimer(period);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            if (await AnsweredAsync(period, stoppingToken))
            {
                (misses, restarted) = (0, false);
                selfCheck.Clear();
                continue;
            }
            var health = bus.CheckHealth();
            var unreachable = await DependencyGate.TryConnectAsync(messaging.Value.Host, messaging.Value.Port, stoppingToken);
            logger.LogDebug("{Service}: own ping unanswered; bus {Health} ({Description}), broker {Broker}", service.Value.Name,
                health.Status, health.Description, unreachable ?? "takes connections");
            // MassTransit knows its queues are down and brings them back by itself; a broker out of reach is an outage no restart mends.
            if (health.Status != BusHealthStatus.Healthy || unreachable is not null)
            {
                misses = 0;
                selfCheck.Clear(); // the bus's own health check and the broker's reachability tell this one
                continue;
            }
            selfCheck.Report($"no answer from its own ping queue while every queue reads as ready{(restarted ? ", after a restart of its bus" : "")}");
            if (++misses < MissesBeforeRestart) continue;
            misses = 0;
            if (restarted) throw GiveUp("the restarted bus does not answer either");
            logger.LogError("{Service}: no answer from its own ping queue in {Count} tries {Period} s apart, while every queue reads as ready "
                + "and the broker takes connections: its queues stopped consuming without notice; restarting the bus",
                service.Value.Name, MissesBeforeRestart, period.TotalSeconds);
            restarted = true;
            try
            {
                await RestartAsync(stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                throw GiveUp(e.Message);
            }
        }
    }

    private async Task<bool> AnsweredAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            // A client per ping: one made before a restart would belong to the bus endpoint that the restart replaced.
            var pings = bus.CreateRequestClient<Ping>(MessagingExtensions.PingQueue(service.Value.Name), RequestTimeout.After(ms: (int)timeout.TotalMilliseconds));
            await pings.GetResponse<Pong>(new Ping(Guid.NewGuid(), DateTimeOffset.UtcNow), cancellationToken);
            return true;
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    private async Task RestartAsync(CancellationToken stoppingToken)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        using (var stopTimeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken))
        {
            // Consumes still running are cancelled and their messages delivered again (LinkLossFilter).
            stopTimeout.CancelAfter(StopPatience);
            await bus.StopAsync(stopTimeout.Token);
        }
        await bus.StartAsync(stoppingToken);
        logger.LogWarning("{Service}: bus restarted in {Seconds:0} s", service.Value.Name, clock.Elapsed.TotalSeconds);
    }

    /// <summary>
    /// A process that cannot consume is no use: the exception stops the host, and the service exits with code 1
    /// (RunVisRLAsync) for its supervisor (compose's restart policy, infra/services.sh) to start it afresh.
    /// </summary>
    private InvalidOperationException GiveUp(string reason)
    {
        logger.LogCritical("{Service}: the bus could not be restarted ({Reason}); stopping the service", service.Value.Name, reason);
        return new InvalidOperationException($"the bus could not be restarted: {reason}");
    }
}
