using MassTransit;
using Microsoft.EntityFrameworkCore;
using VisRL.Contracts.V1;
using VisRL.Platform.Persistence;

namespace VisRL.Filter;

/// <summary>BuildPairs → the round's pair set (built once; a redelivery finds it) → PairsReady.</summary>
public sealed class BuildPairsConsumer(IDbContextFactory<VisRLDbContext> contexts, ILogger<BuildPairsConsumer> logger) : IConsumer<BuildPairs>
{
    public async Task Consume(ConsumeContext<BuildPairs> context)
    {
        await using var db = await contexts.CreateDbContextAsync(context.CancellationToken);
        var set = await new PairSetBuilder(db).BuildAsync(context.Message.IterationId, context.Message.Thresholds, context.CancellationToken);
        logger.LogInformation("Pair set {PairSet}: {Pairs} pairs from {Items} items", set.Id, set.PairCount, set.ItemCount);
        await context.Publish(new PairsReady(context.Message.RunId, context.Message.IterationId, set.Id, set.ItemCount, set.PairCount));
    }
}
