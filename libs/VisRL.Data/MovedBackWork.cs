using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using VisRL.Platform.Identity;
using VisRL.Platform.Messaging;
using VisRL.Platform.Persistence;
using VisRL.Platform.Persistence.Entities;

namespace VisRL.Data;

/// <summary>
/// A quarantined part of a batch moved back from its _error queue (`visrl errors retry`) joins its round as a
/// batch of its own, so that the round waits for it and scores what it adds like any batch. Only while the
/// round still samples and scores: later its pair set is built, and the part's items would belong to nothing.
/// A refused part goes back to the _error queue with the reason; its items stay in work_failures.
/// </summary>
public static class MovedBackWork
{
    /// <summary>Null when a round in <paramref name="state"/> takes a moved-back part in; else why not, and what to do.</summary>
    public static string? Refusal(Guid iterationId, string? state) => state switch
    {
        "Sampling" or "Scoring" => null,
        null => $"iteration {iterationId} does not exist",
        _ => $"iteration {iterationId} is {state}: a round takes a moved-back part only while it samples and scores; "
            + "start a new round to take these items in" + (state == "Failed" ? " (or `visrl run retry` first, if it failed before its filter)" : ""),
    };

    /// <summary>
    /// The id of the batch a moved-back part works under: the same for each redelivery of one move-back, so that a
    /// redelivery finds its claim; a new one when the same message is moved back again (a part that faulted goes to
    /// _error with its id unchanged), so that it is not taken for the first move-back's claim, which has finished.
    /// </summary>
    public static Guid ClaimId(Guid messageId, string movedBackAt) => DerivedIds.For(messageId, $"moved-back/{movedBackAt}");

    /// <summary>
    /// The batch a moved-back part works under (<see cref="ClaimAsync"/>), or null when its round refuses it: the
    /// part is then back in its _error queue with the reason.
    /// </summary>
    public static async Task<Batch?> TakeUpMovedBackAsync<T>(this ConsumeContext<T> context, VisRLDbContext db, Guid iterationId, string stage,
        IReadOnlyList<long> itemIds, ILogger logger) where T : class
    {
        var claimId = ClaimId(context.MessageId ?? NewId.NextGuid(), context.MovedBackAt() ?? "");
        var (claim, refusal) = await ClaimAsync(db, iterationId, stage, claimId, itemIds, context.CancellationToken);
        if (claim is not null) return claim;
        logger.LogWarning("A moved-back part of a {Stage} batch not taken: {Reason}", stage, refusal);
        await context.QuarantineAsync(context.Message, refusal!);
        return null;
    }

    /// <summary>
    /// Records the part as a dispatched batch of <paramref name="stage"/> under <paramref name="claimId"/> (<see cref="ClaimId"/>:
    /// a redelivery finds its claim), numbered after the round's batches; returns it, or the refusal.
    /// The iteration's row is locked meanwhile, as the Orchestrator locks it for each step, so the round cannot finish
    /// the stage between the check and the insert.
    /// </summary>
    public static async Task<(Batch? Claim, string? Refusal)> ClaimAsync(VisRLDbContext db, Guid iterationId, string stage, Guid claimId,
        IReadOnlyList<long> itemIds, CancellationToken cancellationToken)
    {
        var strategy = db.Database.CreateExecutionStrategy();
        return await strategy.ExecuteAsync(async ct =>
        {
            db.ChangeTracker.Clear();
            await using var transaction = await db.Database.BeginTransactionAsync(ct);
            var state = (await db.Database.SqlQuery<string>($"SELECT state AS \"Value\" FROM iterations WHERE id = {iterationId} FOR UPDATE").ToListAsync(ct))
                .SingleOrDefault();
            if (await db.Batches.AsNoTracking().SingleOrDefaultAsync(b => b.Id == claimId, ct) is { } claimed) return (claimed, null);
            if (Refusal(iterationId, state) is { } refusal) return (null, refusal);

            var last = await db.Batches.Where(b => b.IterationId == iterationId).MaxAsync(b => (int?)b.Ordinal, ct) ?? -1;
            var now = await db.NowAsync(ct);
            var claim = new Batch
            {
                Id = claimId, IterationId = iterationId, Stage = stage, Ordinal = last + 1, ItemIds = [.. itemIds],
                Status = "dispatched", Attempts = 1, DispatchedAt = now,
            };
            db.Batches.Add(claim);
            await db.SaveChangesAsync(ct);
            await transaction.CommitAsync(ct);
            db.ChangeTracker.Clear();
            return ((Batch?)claim, (string?)null);
        }, cancellationToken);
    }
}
