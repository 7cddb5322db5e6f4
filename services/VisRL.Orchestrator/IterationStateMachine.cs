using MassTransit;
using VisRL.Contracts.V1;
using VisRL.Orchestrator.Rounds;
using VisRL.Platform.Persistence;
using VisRL.Platform.Persistence.Entities;

namespace VisRL.Orchestrator;

/// <summary>
/// One iteration (round) of self-evolution data generation (DESIGN.md §4):
/// StartIteration → Sampling (SampleBatch ×N) → Scoring (ScoreBatch ×N) → Filtering (BuildPairs) →
/// Paired, or Failed with the reason. State and batch rows live in PostgreSQL and commit together.
/// </summary>
public sealed class IterationStateMachine : MassTransitStateMachine<Iteration>
{
    public State Sampling { get; private set; } = null!;
    public State Scoring { get; private set; } = null!;
    public State Filtering { get; private set; } = null!;
    public State Paired { get; private set; } = null!;
    public State Failed { get; private set; } = null!;

    public Event<StartIteration> Start { get; private set; } = null!;
    public Event<BatchSampled> Sampled { get; private set; } = null!;
    public Event<BatchScored> Scored { get; private set; } = null!;
    public Event<BatchFailed> BatchFailed { get; private set; } = null!;
    public Event<RedispatchStuckBatches> Stuck { get; private set; } = null!;
    public Event<PairsReady> PairsBuilt { get; private set; } = null!;

    public IterationStateMachine()
    {
        InstanceState(x => x.State);
        Event(() => Start, e => e.CorrelateById(m => m.Message.IterationId));
        Event(() => Sampled, e => e.CorrelateById(m => m.Message.IterationId));
        Event(() => Scored, e => e.CorrelateById(m => m.Message.IterationId));
        Event(() => BatchFailed, e => e.CorrelateById(m => m.Message.IterationId));
        Event(() => Stuck, e => e.CorrelateById(m => m.Message.IterationId));
        Event(() => PairsBuilt, e => e.CorrelateById(m => m.Message.IterationId));

        Initially(
            When(Start)
                .Then(ctx => Record(ctx.Saga, ctx.Message))
                .ThenAsync(DispatchSampling)
                .TransitionTo(Sampling)
                .Catch<RoundRejectedException>(failed => failed.ThenAsync(ctx => Fail(ctx, "sample", ctx.Exception.Message)).TransitionTo(Failed)));

        During(Sampling,
            AfterSampling(When(Sampled).ThenAsync(ctx => Ledger(ctx).CompleteAsync(ctx.Saga.Id, ctx.Message.BatchId, ctx.CancellationToken))),
            AfterSampling(When(BatchFailed, ctx => ctx.Message.Stage == BatchStages.Sample).ThenAsync(Retry)),
            AfterSampling(When(Stuck).ThenAsync(RedispatchStuck)),
            Ignore(Start));

        During(Scoring,
            AfterScoring(When(Scored).ThenAsync(ctx => Ledger(ctx).CompleteAsync(ctx.Saga.Id, ctx.Message.BatchId, ctx.CancellationToken))),
            AfterScoring(When(BatchFailed, ctx => ctx.Message.Stage == BatchStages.Score).ThenAsync(Retry)),
            AfterScoring(When(Stuck).ThenAsync(RedispatchStuck)),
            Ignore(Start), Ignore(Sampled), Ignore(BatchFailed, ctx => ctx.Message.Stage == BatchStages.Sample));

        During(Filtering,
            When(PairsBuilt).Then(ctx => Touch(ctx.Saga)).TransitionTo(Paired),
            Ignore(Start), Ignore(Sampled), Ignore(Scored), Ignore(BatchFailed), Ignore(Stuck));

        // Late or redelivered messages after the round moved on change nothing.
        During(Paired, Failed, Ignore(Start), Ignore(Sampled), Ignore(Scored), Ignore(BatchFailed), Ignore(Stuck), Ignore(PairsBuilt));
    }

    /// <summary>When every sample batch has finished, dispatch scoring (or fail when none succeeded).</summary>
    private EventActivityBinder<Iteration, T> AfterSampling<T>(EventActivityBinder<Iteration, T> binder) where T : class =>
        binder.IfAsync(ctx => Finished(ctx, BatchStages.Sample), finished => finished
            .ThenAsync(DispatchScoring)
            .TransitionTo(Scoring)
            .Catch<RoundRejectedException>(failed => failed.ThenAsync(ctx => Fail(ctx, "score", ctx.Exception.Message)).TransitionTo(Failed)));

    /// <summary>When every score batch has finished, ask the Filter for pairs.</summary>
    private EventActivityBinder<Iteration, T> AfterScoring<T>(EventActivityBinder<Iteration, T> binder) where T : class =>
        binder.IfAsync(ctx => Finished(ctx, BatchStages.Score), finished => finished.ThenAsync(DispatchFiltering).TransitionTo(Filtering));

    private static RoundLedger Ledger(BehaviorContext<Iteration> context) => new(context.GetPayload<VisRLDbContext>());

    private static RoundConfig Config(Iteration iteration) => RoundConfig.Parse(iteration.ConfigJson);

    private static Task<bool> Finished(BehaviorContext<Iteration> context, string stage) =>
        Ledger(context).StageFinishedAsync(context.Saga.Id, stage, context.CancellationToken);

    private static void Record(Iteration iteration, StartIteration start)
    {
        RoundConfig config;
        try { config = RoundConfig.Parse(start.ConfigJson); }
        catch (ArgumentException e) { throw new RoundRejectedException(e.Message); }
        iteration.RunId = start.RunId;
        iteration.Number = start.Number;
        iteration.PolicyCheckpoint = start.PolicyCheckpoint;
        iteration.JudgeCheckpoint = start.JudgeCheckpoint;
        iteration.ConfigJson = config.ToJson(); // the full configuration, defaults included
        iteration.CreatedAt = DateTimeOffset.UtcNow;
        Touch(iteration);
    }

    private static void Touch(Iteration iteration) => iteration.UpdatedAt = DateTimeOffset.UtcNow;

    private static async Task DispatchSampling(BehaviorContext<Iteration, StartIteration> context)
    {
        var db = context.GetPayload<VisRLDbContext>();
        if (await db.Runs.FindAsync([context.Message.RunId], context.CancellationToken) is null)
        {
            db.Runs.Add(new Run
            {
                Id = context.Message.RunId, Name = $"run-{context.Message.RunId.ToString()[..8]}", ConfigJson = context.Saga.ConfigJson,
                PlannedIterations = 1, Status = "running", CreatedAt = DateTimeOffset.UtcNow, UpdatedAt = DateTimeOffset.UtcNow,
            });
        }
        var commands = await Ledger(context).PlanAsync(context.Saga, context.Message, Config(context.Saga), context.CancellationToken);
        foreach (var command in commands) await context.Publish(command);
        await context.Publish(new IterationStarted(context.Saga.RunId, context.Saga.Id, context.Saga.Number, context.Saga.ItemCount, context.Saga.BatchCount));
    }

    private static async Task DispatchScoring(BehaviorContext<Iteration> context)
    {
        foreach (var command in await Ledger(context).PlanScoringAsync(context.Saga, Config(context.Saga), context.CancellationToken))
            await context.Publish(command);
        Touch(context.Saga);
    }

    private static async Task DispatchFiltering(BehaviorContext<Iteration> context)
    {
        await context.Publish(new BuildPairs(context.Saga.RunId, context.Saga.Id, Config(context.Saga).Thresholds));
        Touch(context.Saga);
    }

    private static async Task Retry(BehaviorContext<Iteration, BatchFailed> context)
    {
        var (retry, _) = await Ledger(context).FailAsync(context.Saga, context.Message, Config(context.Saga), context.CancellationToken);
        if (retry is not null) await context.Publish(retry, retry.GetType());
    }

    private static async Task RedispatchStuck(BehaviorContext<Iteration, RedispatchStuckBatches> context)
    {
        var commands = await Ledger(context).RedispatchStuckAsync(context.Saga, Config(context.Saga), DateTimeOffset.UtcNow, context.CancellationToken);
        foreach (var command in commands) await context.Publish(command, command.GetType());
    }

    private static async Task Fail(BehaviorContext<Iteration> context, string stage, string reason)
    {
        context.Saga.FailureReason = reason;
        Touch(context.Saga);
        await context.Publish(new IterationFailed(context.Saga.RunId, context.Saga.Id, context.Saga.Number, stage, reason));
    }
}
