using System.Text.Json;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using VisRL.Contracts.V1;
using VisRL.Orchestrator.Rounds;
using VisRL.Orchestrator.Runs;
using VisRL.Platform.Identity;
using VisRL.Platform.Messaging.Sagas;
using VisRL.Platform.Persistence;
using VisRL.Platform.Persistence.Entities;

namespace VisRL.Orchestrator;

/// <summary>
/// One iteration (round) of self-evolution (DESIGN.md §4): StartIteration → Sampling (SampleBatch ×N,
/// and each batch's ScoreBatch as soon as it is sampled) → Scoring (the last scores) → Filtering
/// (BuildPairs) → Paired when the round only generates data; with training configured, → TrainingBox
/// (DPO stage 1) → TrainingAnswer (stage 2; stage 1's checkpoint is evaluated meanwhile) → Evaluating
/// → Completed (IterationCompleted with the new policy). Any stage can end in Failed with the reason;
/// ResumeIteration takes a failed iteration up again where it stopped (<see cref="ResumePoints"/>).
/// State and batch rows live in PostgreSQL and commit together; job and evaluation ids derive from the
/// iteration, so replays send the same commands.
/// </summary>
public sealed class IterationStateMachine : MassTransitStateMachine<Iteration>
{
    public State Sampling { get; private set; } = null!;
    public State Scoring { get; private set; } = null!;
    public State Filtering { get; private set; } = null!;
    public State Paired { get; private set; } = null!;
    public State TrainingBox { get; private set; } = null!;
    public State TrainingAnswer { get; private set; } = null!;
    public State Evaluating { get; private set; } = null!;
    public State Completed { get; private set; } = null!;
    public State Failed { get; private set; } = null!;

    public Event<StartIteration> Start { get; private set; } = null!;
    public Event<BatchSampled> Sampled { get; private set; } = null!;
    public Event<BatchScored> Scored { get; private set; } = null!;
    public Event<BatchFailed> BatchFailed { get; private set; } = null!;
    public Event<RedispatchStuckBatches> Stuck { get; private set; } = null!;
    public Event<PairsReady> PairsBuilt { get; private set; } = null!;
    public Event<CheckpointReady> Trained { get; private set; } = null!;
    public Event<TrainingFailed> TrainingFailed { get; private set; } = null!;
    public Event<EvaluationCompleted> Evaluated { get; private set; } = null!;
    public Event<EvaluationFailed> EvaluationFailed { get; private set; } = null!;
    public Event<ResumeIteration> Resume { get; private set; } = null!;

    // A worker that threw past its retries (the message went to its _error queue): MassTransit's Fault<T>.
    public Event<Fault<SampleBatch>> SampleFaulted { get; private set; } = null!;
    public Event<Fault<ScoreBatch>> ScoreFaulted { get; private set; } = null!;
    public Event<Fault<BuildPairs>> FilterFaulted { get; private set; } = null!;
    public Event<Fault<Evaluate>> EvaluationFaulted { get; private set; } = null!;
    public Event<Fault<TrainStage>> TrainingFaulted { get; private set; } = null!;

    public IterationStateMachine()
    {
        InstanceState(x => x.State);
        Event(() => Start, e => e.CorrelateById(m => m.Message.IterationId));
        Event(() => Sampled, e => e.CorrelateById(m => m.Message.IterationId));
        Event(() => Scored, e => e.CorrelateById(m => m.Message.IterationId));
        Event(() => BatchFailed, e => e.CorrelateById(m => m.Message.IterationId));
        Event(() => Stuck, e => e.CorrelateById(m => m.Message.IterationId));
        Event(() => PairsBuilt, e => e.CorrelateById(m => m.Message.IterationId));
        // Training and evaluation events of jobs outside any iteration (visrl train, the demo's base/SFT) are not ours.
        Event(() => Trained, e => { e.CorrelateById(m => m.Message.IterationId ?? Guid.Empty); e.OnMissingInstance(m => m.Discard()); });
        Event(() => TrainingFailed, e => { e.CorrelateById(m => m.Message.IterationId ?? Guid.Empty); e.OnMissingInstance(m => m.Discard()); });
        Event(() => Evaluated, e => { e.CorrelateById(m => m.Message.IterationId ?? Guid.Empty); e.OnMissingInstance(m => m.Discard()); });
        Event(() => EvaluationFailed, e => { e.CorrelateById(m => m.Message.IterationId ?? Guid.Empty); e.OnMissingInstance(m => m.Discard()); });
        Event(() => Resume, e => { e.CorrelateById(m => m.Message.IterationId); e.OnMissingInstance(m => m.Discard()); });
        Event(() => SampleFaulted, e => e.CorrelateById(m => m.Message.Message.IterationId));
        Event(() => ScoreFaulted, e => e.CorrelateById(m => m.Message.Message.IterationId));
        Event(() => FilterFaulted, e => e.CorrelateById(m => m.Message.Message.IterationId));
        Event(() => EvaluationFaulted, e => { e.CorrelateById(m => m.Message.Message.IterationId ?? Guid.Empty); e.OnMissingInstance(m => m.Discard()); });
        Event(() => TrainingFaulted, e => { e.CorrelateById(m => m.Message.Message.IterationId ?? Guid.Empty); e.OnMissingInstance(m => m.Discard()); });

        Initially(
            When(Start)
                .Then(ctx => Record(ctx.Saga, ctx.Message))
                .ThenAsync(DispatchSampling)
                .TransitionTo(Sampling)
                .Catch<RoundRejectedException>(failed => failed.ThenAsync(EnsureRun).Then(ctx => Fail(ctx, ctx.Exception.Stage, ctx.Exception.Message)).TransitionTo(Failed)));

        // A batch is scored as soon as it is sampled, so Critic replicas work beside the Sampler replicas;
        // Sampling lasts until every sample batch has finished, Scoring until every batch of both stages has
        // (a quarantined part moved back joins the round as a sample batch of its own: MovedBackWork).
        During(Sampling, Scoring,
            AfterBatch(When(Sampled).ThenAsync(ScoreSampledBatch)),
            AfterBatch(When(Scored).ThenAsync(ctx => Ledger(ctx).CompleteAsync(ctx.Saga.Id, ctx.Message.BatchId, ctx.CancellationToken))),
            AfterBatch(When(BatchFailed).ThenAsync(ctx => Retry(ctx, ctx.Message))),
            AfterBatch(When(SampleFaulted).ThenAsync(ctx => RetryFaulted(ctx, Failure(ctx.Message), ctx.Message.Message.ItemIds))),
            AfterBatch(When(ScoreFaulted).ThenAsync(ctx => RetryFaulted(ctx, Failure(ctx.Message), ctx.Message.Message.ItemIds))),
            AfterBatch(When(Stuck).ThenAsync(RedispatchStuck)),
            Ignore(Start));

        During(Filtering,
            When(PairsBuilt, ctx => Config(ctx.Saga).Training is null).Then(ctx => Touch(ctx.Saga)).ThenAsync(CompleteOwnRun).TransitionTo(Paired),
            When(PairsBuilt, ctx => Config(ctx.Saga).Training is not null && ctx.Message.PairCount == 0)
                .Then(ctx => Fail(ctx, "filter", $"the filter kept no pairs among {ctx.Message.ItemCount} items: nothing to train on (loosen the thresholds, e.g. `visrl run retry RUN --set thresholds.minBox=0.3`, or sample more items)"))
                .TransitionTo(Failed),
            When(PairsBuilt, ctx => Config(ctx.Saga).Training is not null && ctx.Message.PairCount > 0)
                .Then(DispatchBoxStage).TransitionTo(TrainingBox),
            When(FilterFaulted).Then(ctx => Fail(ctx, "filter", FaultReason(ctx.Message))).TransitionTo(Failed),
            Ignore(Start), Ignore(Sampled), Ignore(Scored), Ignore(BatchFailed), Ignore(Stuck), Ignore(SampleFaulted), Ignore(ScoreFaulted));

        During(TrainingBox,
            When(Trained, ctx => ctx.Message.Stage == TrainingStage.DpoBox).ThenAsync(DispatchAnswerStage).TransitionTo(TrainingAnswer),
            Ignore(Trained, ctx => ctx.Message.Stage != TrainingStage.DpoBox),
            FailOnTrainingFault(TrainingStage.DpoBox));
        During(TrainingAnswer,
            When(Trained, ctx => ctx.Message.Stage == TrainingStage.DpoBoxAnswer).ThenAsync(DispatchEvaluation).TransitionTo(Evaluating),
            Ignore(Trained, ctx => ctx.Message.Stage != TrainingStage.DpoBoxAnswer),
            FailOnTrainingFault(TrainingStage.DpoBoxAnswer),
            Ignore(Evaluated)); // stage 1's evaluation, counted once both are in
        During(Evaluating,
            When(Evaluated).IfAsync(BothEvaluated, done => done.Then(Complete).TransitionTo(Completed)),
            Ignore(Trained), Ignore(TrainingFaulted));
        During(TrainingBox, TrainingAnswer, Evaluating,
            When(TrainingFailed).Then(ctx => Fail(ctx, TrainingStageName(ctx.Message.Stage), ctx.Message.Reason)).TransitionTo(Failed),
            When(EvaluationFailed).Then(ctx => Fail(ctx, "evaluate", $"evaluation of {ctx.Message.Checkpoint}: {ctx.Message.Reason}")).TransitionTo(Failed),
            When(EvaluationFaulted).Then(ctx => Fail(ctx, "evaluate", $"evaluation of {ctx.Message.Message.Checkpoint}: {FaultReason(ctx.Message)}")).TransitionTo(Failed),
            Ignore(Start), Ignore(Sampled), Ignore(Scored), Ignore(BatchFailed), Ignore(Stuck), Ignore(PairsBuilt),
            Ignore(SampleFaulted), Ignore(ScoreFaulted), Ignore(FilterFaulted), Ignore(Resume));
        During(TrainingBox, Ignore(Evaluated));

        // Taken up again where it stopped; what it already has is kept. The request is recorded first, with its
        // config changes applied, or refused with the reason (then nothing else happens).
        During(Failed,
            When(Resume).ThenAsync(RecordResumeRequest),
            When(Resume, ctx => ResumesAt(ctx, ResumePoint.DataGeneration))
                .ThenAsync(ResumeDataGeneration)
                .IfElseAsync(ctx => Finished(ctx, BatchStages.Sample),
                    sampled => sampled.IfElseAsync(ctx => Finished(ctx, BatchStages.Score),
                        scored => scored.Then(DispatchFiltering).TransitionTo(Filtering),
                        scoring => scoring.TransitionTo(Scoring)),
                    sampling => sampling.TransitionTo(Sampling)),
            When(Resume, ctx => ResumesAt(ctx, ResumePoint.BoxStage))
                .ThenAsync(ctx => ResumedAsync(ctx, Train(ctx.Saga, TrainingStage.DpoBox, ctx.Saga.PolicyCheckpoint))).TransitionTo(TrainingBox),
            When(Resume, ctx => ResumesAt(ctx, ResumePoint.AnswerStage))
                .ThenAsync(async ctx => await ResumedAsync(ctx, [Train(ctx.Saga, TrainingStage.DpoBoxAnswer, ctx.Saga.BoxCheckpoint!),
                    .. await MissingEvaluationsAsync(ctx, TrainingStage.DpoBox)]))
                .TransitionTo(TrainingAnswer),
            When(Resume, ctx => ResumesAt(ctx, ResumePoint.Evaluation))
                .ThenAsync(async ctx => await ResumedAsync(ctx, [.. await MissingEvaluationsAsync(ctx, TrainingStage.DpoBox, TrainingStage.DpoBoxAnswer)]))
                .IfElseAsync(BothEvaluated, done => done.Then(Complete).TransitionTo(Completed), evaluating => evaluating.TransitionTo(Evaluating)));
        During(Paired, Completed, Ignore(Resume)); // and the states under way, below

        // Late or redelivered messages after the round moved on change nothing.
        During(Paired, Completed, Failed, Ignore(Start), Ignore(Sampled), Ignore(Scored), Ignore(BatchFailed), Ignore(Stuck), Ignore(PairsBuilt),
            Ignore(Trained), Ignore(TrainingFailed), Ignore(Evaluated), Ignore(EvaluationFailed),
            Ignore(SampleFaulted), Ignore(ScoreFaulted), Ignore(FilterFaulted), Ignore(EvaluationFaulted), Ignore(TrainingFaulted));
        During(Sampling, Scoring, Filtering, Ignore(EvaluationFaulted), Ignore(TrainingFaulted), Ignore(Resume));
        During(Sampling, Scoring, Ignore(FilterFaulted));
    }

    private static string TrainingStageName(TrainingStage stage) => stage == TrainingStage.DpoBox ? "train-box" : "train-answer";

    // A TrainStage that threw past its retries (e.g. its TrainingFailed could not be published) fails the
    // iteration in the stage it was sent for; a late fault of the other stage's command changes nothing.
    private EventActivities<Iteration> FailOnTrainingFault(TrainingStage stage) =>
        When(TrainingFaulted, ctx => ctx.Message.Message.Stage == stage)
            .Then(ctx => Fail(ctx, TrainingStageName(stage), $"{stage}: {FaultReason(ctx.Message)}")).TransitionTo(Failed);

    private static void DispatchBoxStage(BehaviorContext<Iteration, PairsReady> context)
    {
        var iteration = context.Saga;
        iteration.PairSetId = context.Message.PairSetId;
        Touch(iteration);
        context.PublishOnCommit(Train(iteration, TrainingStage.DpoBox, iteration.PolicyCheckpoint));
    }

    private static async Task DispatchAnswerStage(BehaviorContext<Iteration, CheckpointReady> context)
    {
        var iteration = context.Saga;
        iteration.BoxCheckpoint = context.Message.ContentHash;
        Touch(iteration);
        context.PublishOnCommit(Train(iteration, TrainingStage.DpoBoxAnswer, iteration.BoxCheckpoint));
        context.PublishOnCommit(await EvaluationAsync(context, TrainingStage.DpoBox, iteration.BoxCheckpoint));
    }

    private static async Task DispatchEvaluation(BehaviorContext<Iteration, CheckpointReady> context)
    {
        var iteration = context.Saga;
        iteration.OutputCheckpoint = context.Message.ContentHash;
        Touch(iteration);
        context.PublishOnCommit(await EvaluationAsync(context, TrainingStage.DpoBoxAnswer, iteration.OutputCheckpoint));
    }

    private static TrainStage Train(Iteration iteration, TrainingStage stage, string start) =>
        new(WorkflowIds.TrainingJob(iteration.Id, stage), iteration.RunId, iteration.Id, stage, start, iteration.PairSetId,
            JsonSerializer.Serialize(Config(iteration).Training!.Dpo, JsonSerializerOptions.Web));

    private static async Task<Evaluate> EvaluationAsync(BehaviorContext<Iteration> context, TrainingStage stage, string checkpoint)
    {
        var iteration = context.Saga;
        var training = Config(iteration).Training!;
        var dataset = training.EvalDataset ?? await context.GetPayload<VisRLDbContext>().Datasets.Where(d => d.Id == iteration.DatasetId)
            .Select(d => d.Name).SingleAsync(context.CancellationToken);
        return new Evaluate(WorkflowIds.Evaluation(iteration.Id, stage), iteration.RunId, iteration.Id, checkpoint, dataset, training.EvalSplit,
            ChainOfThought: true, training.EvalItems);
    }

    /// <summary>Both new checkpoints (stage 1 and stage 2) have stored evaluations.</summary>
    private static async Task<bool> BothEvaluated(BehaviorContext<Iteration> context) =>
        (await UnevaluatedAsync(context, TrainingStage.DpoBox, TrainingStage.DpoBoxAnswer)).Count == 0;

    /// <summary>Those of the stages' checkpoints that have no stored evaluation yet.</summary>
    private static async Task<List<TrainingStage>> UnevaluatedAsync(BehaviorContext<Iteration> context, params TrainingStage[] stages)
    {
        var ids = stages.Select(stage => WorkflowIds.Evaluation(context.Saga.Id, stage)).ToList();
        var stored = await context.GetPayload<VisRLDbContext>().Evaluations.Where(e => ids.Contains(e.EvaluationRunId) && e.Family == "all")
            .Select(e => e.EvaluationRunId).ToListAsync(context.CancellationToken);
        return stages.Where(stage => !stored.Contains(WorkflowIds.Evaluation(context.Saga.Id, stage))).ToList();
    }

    /// <summary>The Evaluate commands of those stages' checkpoints that have no stored evaluation.</summary>
    private static async Task<List<Evaluate>> MissingEvaluationsAsync(BehaviorContext<Iteration> context, params TrainingStage[] stages)
    {
        var commands = new List<Evaluate>();
        foreach (var stage in await UnevaluatedAsync(context, stages))
            commands.Add(await EvaluationAsync(context, stage, stage == TrainingStage.DpoBox ? context.Saga.BoxCheckpoint! : context.Saga.OutputCheckpoint!));
        return commands;
    }

    private static void Complete(BehaviorContext<Iteration> context)
    {
        Touch(context.Saga);
        context.PublishOnCommit(new IterationCompleted(context.Saga.RunId, context.Saga.Id, context.Saga.Number, context.Saga.OutputCheckpoint!));
    }

    /// <summary>
    /// When every sample batch has finished: fail the round when none succeeded, else ask the Filter for
    /// pairs when the scores are all in too (failing it when no score batch succeeded), or wait for them in Scoring.
    /// </summary>
    private EventActivityBinder<Iteration, T> AfterBatch<T>(EventActivityBinder<Iteration, T> binder) where T : class =>
        binder.IfAsync(ctx => Finished(ctx, BatchStages.Sample), finished => finished
            .ThenAsync(ctx => Ledger(ctx).EnsureSomethingDoneAsync(ctx.Saga.Id, BatchStages.Sample, ctx.CancellationToken))
            .IfElseAsync(ctx => Finished(ctx, BatchStages.Score),
                scored => scored.ThenAsync(ctx => Ledger(ctx).EnsureSomethingDoneAsync(ctx.Saga.Id, BatchStages.Score, ctx.CancellationToken))
                    .Then(DispatchFiltering).TransitionTo(Filtering)
                    .Catch<RoundRejectedException>(FailRejected), // a branch's exception reaches the catch outside it wrapped
                scoring => scoring.Then(ctx => Touch(ctx.Saga)).TransitionTo(Scoring))
            .Catch<RoundRejectedException>(FailRejected));

    private ExceptionActivityBinder<Iteration, T, RoundRejectedException> FailRejected<T>(ExceptionActivityBinder<Iteration, T, RoundRejectedException> rejected)
        where T : class => rejected.Then(ctx => Fail(ctx, ctx.Exception.Stage, ctx.Exception.Message)).TransitionTo(Failed);

    private static RoundLedger Ledger(BehaviorContext<Iteration> context) => new(context.GetPayload<VisRLDbContext>());

    private static RoundConfig Config(Iteration iteration) => RoundConfig.Parse(iteration.ConfigJson);

    private static Task<bool> Finished(BehaviorContext<Iteration> context, string stage) =>
        Ledger(context).StageFinishedAsync(context.Saga.Id, stage, context.CancellationToken);

    /// <summary>The round as asked; a config that does not parse rejects it, recorded (with the config as sent) under its run.</summary>
    private static void Record(Iteration iteration, StartIteration start)
    {
        iteration.RunId = start.RunId;
        iteration.Number = start.Number;
        iteration.PolicyCheckpoint = start.PolicyCheckpoint;
        iteration.JudgeCheckpoint = start.JudgeCheckpoint;
        iteration.ConfigJson = start.ConfigJson;
        iteration.CreatedAt = DateTimeOffset.UtcNow;
        Touch(iteration);
        RoundConfig config;
        try { config = RoundConfig.Parse(start.ConfigJson); }
        catch (ArgumentException e) { throw new RoundRejectedException(e.Message); }
        iteration.ConfigJson = config.ToJson(); // the full configuration, defaults included
    }

    private static void Touch(Iteration iteration) => iteration.UpdatedAt = DateTimeOffset.UtcNow;

    /// <summary>A round started on its own (not by a run) makes its run of one iteration.</summary>
    private static async Task EnsureRun(BehaviorContext<Iteration, StartIteration> context)
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
    }

    /// <summary>A round started on its own ends at Paired, and its run of one iteration with it (a run's iterations always train).</summary>
    private static async Task CompleteOwnRun(BehaviorContext<Iteration, PairsReady> context)
    {
        if (await context.GetPayload<VisRLDbContext>().Runs.FindAsync([context.Saga.RunId], context.CancellationToken) is not { } run) return;
        run.Status = "completed";
        run.UpdatedAt = DateTimeOffset.UtcNow;
    }

    private static async Task DispatchSampling(BehaviorContext<Iteration, StartIteration> context)
    {
        await EnsureRun(context);
        var commands = await Ledger(context).PlanAsync(context.Saga, context.Message, Config(context.Saga), context.CancellationToken);
        foreach (var command in commands) context.PublishOnCommit(command);
        context.PublishOnCommit(new IterationStarted(context.Saga.RunId, context.Saga.Id, context.Saga.Number, context.Saga.ItemCount, context.Saga.BatchCount));
    }

    private static async Task ScoreSampledBatch(BehaviorContext<Iteration, BatchSampled> context)
    {
        var ledger = Ledger(context);
        if (await ledger.CompleteAsync(context.Saga.Id, context.Message.BatchId, context.CancellationToken) is { Stage: BatchStages.Sample } sampled)
            context.PublishOnCommit(await ledger.PlanScoringAsync(context.Saga, sampled, Config(context.Saga), context.CancellationToken));
    }

    private static void DispatchFiltering(BehaviorContext<Iteration> context)
    {
        context.PublishOnCommit(new BuildPairs(context.Saga.RunId, context.Saga.Id, Config(context.Saga).Thresholds));
        Touch(context.Saga);
    }

    private static async Task Retry(BehaviorContext<Iteration> context, BatchFailed failed)
    {
        if (await Ledger(context).FailAsync(context.Saga, failed, Config(context.Saga), context.CancellationToken) is { } retry)
            context.PublishOnCommit(retry);
    }

    /// <summary>
    /// A batch command that faulted in its worker fails its batch, or, when it was a moved-back part, the claim the part
    /// worked under, at once: the claim goes out again as a plain batch (the part's failures stay recorded, and the
    /// part waits in _error) instead of holding the round until its stuck clock.
    /// </summary>
    private static async Task RetryFaulted(BehaviorContext<Iteration> context, BatchFailed failed, IReadOnlyList<long> itemIds) =>
        await Retry(context, await Ledger(context).MovedBackClaimAsync(context.Saga, failed.BatchId, failed.Stage, itemIds, context.CancellationToken) is { } claim
            ? failed with { BatchId = claim.Id, Attempt = claim.Attempts }
            : failed);

    // A batch command that faulted in its worker, as the BatchFailed the worker would have sent.
    private static BatchFailed Failure(Fault<SampleBatch> f) => new(f.Message.RunId, f.Message.IterationId, f.Message.BatchId, BatchStages.Sample, f.Message.Attempt, FaultReason(f));
    private static BatchFailed Failure(Fault<ScoreBatch> f) => new(f.Message.RunId, f.Message.IterationId, f.Message.BatchId, BatchStages.Score, f.Message.Attempt, FaultReason(f));

    private static string FaultReason<T>(Fault<T> fault) =>
        fault.Exceptions.FirstOrDefault() is { } e ? $"{e.ExceptionType.Split('.')[^1]}: {e.Message} (on {fault.Host?.MachineName})" : "the worker faulted";

    private static async Task RedispatchStuck(BehaviorContext<Iteration, RedispatchStuckBatches> context)
    {
        var commands = await Ledger(context).RedispatchStuckAsync(context.Saga, Config(context.Saga), context.CancellationToken);
        foreach (var command in commands) context.PublishOnCommit(command);
    }

    private static async Task ResumeDataGeneration(BehaviorContext<Iteration> context) =>
        await ResumedAsync(context, [.. await Ledger(context).ResumeAsync(context.Saga, Config(context.Saga), context.CancellationToken)]);

    /// <summary>The iteration, and its run, are under way again; the commands take it up where it stopped.</summary>
    private static async Task ResumedAsync(BehaviorContext<Iteration> context, params object[] commands)
    {
        var iteration = context.Saga;
        iteration.Resumes++;
        iteration.FailureReason = null;
        Touch(iteration);
        if (await context.GetPayload<VisRLDbContext>().Runs.FindAsync([iteration.RunId], context.CancellationToken) is { } run)
            (run.Status, run.UpdatedAt) = ("running", iteration.UpdatedAt);
        foreach (var command in commands) context.PublishOnCommit(command);
    }

    /// <summary>The failed iteration resumes at <paramref name="point"/>: the request was neither refused nor handled before.</summary>
    private static bool ResumesAt(BehaviorContext<Iteration, ResumeIteration> context, ResumePoint point) =>
        ResumePoints.Of(context.Saga) == point && !context.TryGetPayload<NoResume>(out _);

    /// <summary>Marks a resume request that must not resume the iteration (<see cref="RecordResumeRequest"/>).</summary>
    private sealed record NoResume;

    /// <summary>
    /// Records the resume request (iteration_resume_requests) and applies its config changes to the iteration, and to
    /// its run for the iterations after it (<see cref="ResumeChanges"/>); changes it may not take refuse the request.
    /// </summary>
    private static async Task RecordResumeRequest(BehaviorContext<Iteration, ResumeIteration> context)
    {
        var iteration = context.Saga;
        var point = ResumePoints.Of(iteration);
        if (point == ResumePoint.None) return; // rejected before it sampled: nothing to take up (a new round does the same), nor to record
        var db = context.GetPayload<VisRLDbContext>();
        var id = context.Message.RequestId ?? context.MessageId ?? NewId.NextGuid();
        if (await db.IterationResumeRequests.AnyAsync(r => r.Id == id, context.CancellationToken))
        {
            context.GetOrAddPayload(() => new NoResume()); // redelivered: handled already, even if the iteration has failed again since
            return;
        }
        var request = new IterationResumeRequest
        {
            Id = id, IterationId = iteration.Id, Resume = iteration.Resumes + 1, ChangesJson = context.Message.ConfigChanges,
            ConfigBeforeJson = iteration.ConfigJson, CreatedAt = DateTimeOffset.UtcNow,
        };
        db.IterationResumeRequests.Add(request);
        if (context.Message.ConfigChanges is not { } changes) return;
        try
        {
            var evaluated = (await UnevaluatedAsync(context, TrainingStage.DpoBox, TrainingStage.DpoBoxAnswer)).Count < 2;
            var (config, changed) = ResumeChanges.Apply(iteration.ConfigJson, changes, point, evaluated);
            iteration.ConfigJson = config.ToJson();
            request.Changed = [.. changed];
            if (await db.Runs.FindAsync([iteration.RunId], context.CancellationToken) is { } run) run.ConfigJson = RunPlan.WithRound(run.ConfigJson, config);
        }
        catch (ArgumentException e)
        {
            request.Refusal = e.Message;
            context.GetOrAddPayload(() => new NoResume());
        }
    }

    private static void Fail(BehaviorContext<Iteration> context, string stage, string reason)
    {
        context.Saga.FailureReason = reason;
        Touch(context.Saga);
        context.PublishOnCommit(new IterationFailed(context.Saga.RunId, context.Saga.Id, context.Saga.Number, stage, reason));
    }
}
