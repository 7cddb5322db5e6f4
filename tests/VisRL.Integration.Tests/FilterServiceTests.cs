using System.Collections.Concurrent;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using VisRL.Contracts.V1;
using VisRL.Filter;
using VisRL.Platform.Configuration;
using VisRL.Platform.Hosting;
using VisRL.Platform.Messaging;
using VisRL.Platform.Persistence;
using VisRL.Platform.Persistence.Entities;

namespace VisRL.Integration.Tests;

/// <summary>The Filter service's consumer over the real RabbitMQ and PostgreSQL: BuildPairs → pair set → PairsReady.</summary>
[Collection(StackCollection.Name)]
public class FilterServiceTests : IAsyncLifetime
{
    private const string Judge = "judge-hash";
    private DatabaseOptions _database = null!;
    private static readonly ConcurrentBag<PairsReady> Ready = [];

    public sealed class ReadyWatcher : IConsumer<PairsReady>
    {
        public Task Consume(ConsumeContext<PairsReady> context)
        {
            Ready.Add(context.Message);
            return Task.CompletedTask;
        }
    }

    public async Task InitializeAsync()
    {
        _database = await TestStack.CreateMigratedDatabaseAsync();
    }

    public Task DisposeAsync() => Task.CompletedTask;

    /// <summary>
    /// Five items: A (s_r 1/0/1/0 with s_b .9/.1/.5/.3) is kept with the pair (A0, A1); B (all s_r 1)
    /// is "all equal"; C (s_r 1 with s_b .5, s_r 0 with s_b .1) has no winner with s_b ≥ 0.8 unless
    /// the box critic is off; D has only a score by another judge, so no usable scores; E (s_r 1/0/0,
    /// s_b .5/none/.5) has no winner with the box critic, and without it E1, whose box did not parse,
    /// must not be the loser: a pair trains on both boxes. Scores are stored under <paramref name="judgeId"/>,
    /// the round's judge id; the judge checkpoint is always <see cref="Judge"/>.
    /// </summary>
    private async Task<(Guid Iteration, Dictionary<string, long> Candidates)> SeedRoundAsync(string judgeId = Judge)
    {
        await using var db = PersistenceExtensions.CreateVisRLDbContext(_database);
        var now = DateTimeOffset.UtcNow;
        var dataset = new Dataset { Id = Guid.NewGuid(), Name = $"ds-{Guid.NewGuid():N}", Source = "synthetic", CreatedAt = now };
        var run = new Run { Id = Guid.NewGuid(), Name = "r", Status = "running", CreatedAt = now, UpdatedAt = now };
        var iteration = new Iteration { Id = Guid.NewGuid(), RunId = run.Id, Number = 1, DatasetId = dataset.Id, PolicyCheckpoint = "p", JudgeCheckpoint = Judge, JudgeId = judgeId, State = "Filtering", CreatedAt = now, UpdatedAt = now };
        db.AddRange(dataset, run, iteration);
        var items = "ABCDE".Select((name, i) => new Item { DatasetId = dataset.Id, Split = "rl", Ordinal = i, ImageBlobKey = $"{name}.png", Question = "q", StandardAnswer = "7" }).ToList();
        db.Items.AddRange(items);
        await db.SaveChangesAsync();

        var scores = new (string Name, int Item, double? R, double? B, string Judge)[]
        {
            ("A0", 0, 1, .9, judgeId), ("A1", 0, 0, .1, judgeId), ("A2", 0, 1, .5, judgeId), ("A3", 0, 0, .3, judgeId),
            ("B0", 1, 1, .9, judgeId), ("B1", 1, 1, .1, judgeId),
            ("C0", 2, 1, .5, judgeId), ("C1", 2, 0, .1, judgeId),
            ("D0", 3, 1, .9, "another-judge"), ("D1", 3, 0, .1, "another-judge"),
            ("E0", 4, 1, .5, judgeId), ("E1", 4, 0, null, judgeId), ("E2", 4, 0, .5, judgeId),
        };
        var candidates = new Dictionary<string, Candidate>();
        foreach (var (name, item, _, _, _) in scores)
            candidates[name] = name == "E1"
                ? new Candidate { IterationId = iteration.Id, ItemId = items[item].Id, Attempt = 1, Kind = "own", BoxText = "a cat", BoxParseError = "no box", Answer = "", CreatedAt = now }
                : new Candidate
                {
                    IterationId = iteration.Id, ItemId = items[item].Id, Attempt = name[1] - '0', Kind = "own", BoxText = "[0.1, 0.1, 0.2, 0.2]",
                    X1 = 0.1f, Y1 = 0.1f, X2 = 0.2f, Y2 = 0.2f, Answer = "x", CreatedAt = now,
                };
        db.Candidates.AddRange(candidates.Values);
        await db.SaveChangesAsync();
        db.Scores.AddRange(scores.Select(s => new Score { CandidateId = candidates[s.Name].Id, JudgeId = s.Judge, AnswerScore = s.R, BoxScore = s.B, CreatedAt = now }));
        await db.SaveChangesAsync();
        return (iteration.Id, candidates.ToDictionary(c => c.Key, c => c.Value.Id));
    }

    private IHost StartHost()
    {
        var builder = TestStack.ServiceHost($"filter-test-{Guid.NewGuid().ToString()[..8]}",
            new Dictionary<string, string?> { ["Database:ConnectionString"] = _database.ConnectionString });
        builder.AddVisRLPersistence();
        builder.AddVisRLMessaging(bus =>
        {
            bus.AddConsumer<BuildPairsConsumer>();
            bus.AddConsumer<ReadyWatcher>();
        });
        return builder.Build();
    }

    private static async Task<PairsReady> WaitReadyAsync(Guid iterationId, int count)
    {
        for (var i = 0; i < 200; i++)
        {
            var found = Ready.Where(r => r.IterationId == iterationId).ToList();
            if (found.Count >= count) return found[0];
            await Task.Delay(100);
        }
        throw new TimeoutException($"no PairsReady for iteration {iterationId}");
    }

    [Fact]
    public async Task PairsFollowTheRuleAndARedeliveryBuildsNothingTwice()
    {
        var (iterationId, ids) = await SeedRoundAsync();
        using var host = StartHost();
        await host.StartAsync();
        try
        {
            var bus = host.Services.GetRequiredService<IBus>();
            var command = new BuildPairs(Guid.NewGuid(), iterationId, new FilterThresholds());
            await bus.Publish(command);
            var ready = await WaitReadyAsync(iterationId, 1);
            await bus.Publish(command); // redelivered
            var again = await WaitReadyAsync(iterationId, 2);

            Assert.Equal((5, 1), (ready.ItemCount, ready.PairCount));
            Assert.Equal(ready.PairSetId, again.PairSetId);
            await using var db = PersistenceExtensions.CreateVisRLDbContext(_database);
            var pair = await db.Pairs.AsNoTracking().SingleAsync(p => p.PairSetId == ready.PairSetId);
            Assert.Equal((ids["A0"], ids["A1"]), (pair.ChosenCandidateId, pair.RejectedCandidateId));
            Assert.Equal(1, await db.PairSets.CountAsync(p => p.IterationId == iterationId));
        }
        finally
        {
            await host.StopAsync();
        }
    }

    [Fact]
    public async Task WithoutTheBoxCriticTheBoxScoreIsIgnored()
    {
        var (iterationId, ids) = await SeedRoundAsync();
        await using var db = PersistenceExtensions.CreateVisRLDbContext(_database);
        var set = await new PairSetBuilder(db).BuildAsync(iterationId, new FilterThresholds(UseBoxCritic: false), CancellationToken.None);
        var pairs = await db.Pairs.AsNoTracking().Where(p => p.PairSetId == set.Id).OrderBy(p => p.ItemId)
            .Select(p => new { p.ChosenCandidateId, p.RejectedCandidateId }).ToListAsync();
        Assert.Equal(3, set.PairCount);
        Assert.Equal(ids["C0"], pairs[1].ChosenCandidateId);
        Assert.Equal(ids["C1"], pairs[1].RejectedCandidateId);
        Assert.Equal((ids["E0"], ids["E2"]), (pairs[2].ChosenCandidateId, pairs[2].RejectedCandidateId));
        Assert.Contains("\"useBoxCritic\":false", set.ThresholdsJson);
    }

    [Fact]
    public async Task AnHttpJudgesScoresAreTheRoundsScores()
    {
        // The round's judge checkpoint is a hash, but an HTTP judge stores its scores under the endpoint's id.
        var judgeId = JudgeIds.Of(new ModelEndpoint(ModelEndpoint.Http, "http://127.0.0.1:8000/v1/", "judge-model"));
        Assert.Equal("http:judge-model@http://127.0.0.1:8000/v1", judgeId);
        var (iterationId, ids) = await SeedRoundAsync(judgeId);
        await using var db = PersistenceExtensions.CreateVisRLDbContext(_database);
        var set = await new PairSetBuilder(db).BuildAsync(iterationId, new FilterThresholds(), CancellationToken.None);
        var pair = await db.Pairs.AsNoTracking().SingleAsync(p => p.PairSetId == set.Id);
        Assert.Equal((ids["A0"], ids["A1"]), (pair.ChosenCandidateId, pair.RejectedCandidateId));
    }
}
