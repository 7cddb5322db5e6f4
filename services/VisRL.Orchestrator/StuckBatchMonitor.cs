using MassTransit;
using Microsoft.EntityFrameworkCore;
using VisRL.Contracts.V1;
using VisRL.Platform.Persistence;

namespace VisRL.Orchestrator;

/// <summary>
/// Every minute, asks each round that waits on batches to dispatch again the ones that got no
/// answer in time (a worker that died holding a message, a lost event). The state machine decides
/// per batch, under the round's lock, so several Orchestrator replicas may run this safely.
/// </summary>
internal sealed class StuckBatchMonitor(IDbContextFactory<VisRLDbContext> contexts, IBus bus, ILogger<StuckBatchMonitor> logger)
    : BackgroundService
{
    private static readonly TimeSpan Period = TimeSpan.FromMinutes(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Period);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await using var db = await contexts.CreateDbContextAsync(stoppingToken);
                var waiting = await db.Iterations.AsNoTracking()
                    .Where(i => i.State == "Sampling" || i.State == "Scoring")
                    .Select(i => new { i.RunId, i.Id }).ToListAsync(stoppingToken);
                foreach (var round in waiting) await bus.Publish(new RedispatchStuckBatches(round.RunId, round.Id), stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning(e, "Checking for stuck batches failed; will try again in {Period}", Period);
            }
        }
    }
}
