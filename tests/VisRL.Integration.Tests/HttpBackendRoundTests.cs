using VisRL.Contracts.V1;
using Microsoft.EntityFrameworkCore;
using VisRL.Data;
using VisRL.DataGeneration;
using VisRL.DataGeneration.Backends.Http;
using VisRL.Imaging.Geometry;
using VisRL.Platform.Persistence;
using VisRL.Platform.Persistence.Entities;

namespace VisRL.Integration.Tests;

/// <summary>
/// Rounds whose policy and judge are OpenAI-compatible endpoints: `visrl serve` in another process
/// over real HTTP (equal to the in-process round at temperature 0; the real images end to end), and a
/// deliberately faulty endpoint (malformed replies, 500s, timeouts) — on the real stack, with the
/// Orchestrator, Sampler, Critic and Filter as processes.
/// </summary>
[Collection(StackCollection.Name)]
public class HttpBackendRoundTests(HttpRoundFixture round) : IClassFixture<HttpRoundFixture>
{
    private static readonly TimeSpan RoundTimeout = TimeSpan.FromSeconds(120);

    private static async Task<List<Candidate>> CandidatesAsync(VisRLDbContext db, Guid iterationId) =>
        await db.Candidates.AsNoTracking().Where(c => c.IterationId == iterationId).OrderBy(c => c.ItemId).ThenBy(c => c.Attempt).ThenBy(c => c.Kind).ToListAsync();

    private static async Task<Dictionary<long, Score>> ScoresAsync(VisRLDbContext db, Guid iterationId) =>
        await db.Scores.AsNoTracking().Where(s => db.Candidates.Any(c => c.Id == s.CandidateId && c.IterationId == iterationId)).ToDictionaryAsync(s => s.CandidateId);

    [Fact]
    public async Task VisrlServeServesALocalCheckpointFolder_AndRefusesWhatItCannotServe()
    {
        var cli = ChildProcess.ProjectDll("VisRL.Cli", "visrl");
        var environment = new Dictionary<string, string> { ["VISRL_ROOT"] = TestStack.Root, ["SERVE_TEST_KEY"] = "k-123" };
        using (var serve = ChildProcess.Start(ChildProcess.Dotnet(cli, environment, "serve", "--checkpoint", round.CheckpointFolder, "--port", "0",
                   "--model-name", "folder-model", "--api-key-env", "SERVE_TEST_KEY")))
        {
            string? url = null;
            for (var i = 0; i < 300 && url is null; i++, await Task.Delay(100))
            {
                Assert.False(serve.Process.HasExited, serve.Output);
                url = System.Text.RegularExpressions.Regex.Match(serve.Output, @"at (http://\S+/v1) \(API key required\)") is { Success: true } m ? m.Groups[1].Value : null;
            }
            Assert.True(url is not null, serve.Output);
            Assert.Contains($"(checkpoint {round.Hash})", serve.Output);
            using var http = new HttpClient();
            Assert.Equal(System.Net.HttpStatusCode.Unauthorized, (await http.GetAsync(url + "/models")).StatusCode);
            http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "k-123");
            Assert.Contains("\"id\":\"folder-model\"", await http.GetStringAsync(url + "/models"));
        }

        var empty = Directory.CreateTempSubdirectory("visrl-not-a-checkpoint").FullName;
        var (code, output) = await ChildProcess.RunAsync(ChildProcess.Dotnet(cli, environment, "serve", "--checkpoint", empty), TimeSpan.FromSeconds(60));
        Assert.Equal(1, code);
        Assert.Contains("manifest.json: missing (not a checkpoint folder)", output);
        (code, output) = await ChildProcess.RunAsync(ChildProcess.Dotnet(cli, environment, "serve", "--checkpoint", round.CheckpointFolder, "--api-key-env", "NO_SUCH_VARIABLE_HERE"), TimeSpan.FromSeconds(60));
        Assert.Equal(2, code);
        Assert.Contains("--api-key-env NO_SUCH_VARIABLE_HERE: the environment variable is not set", output);
        Directory.Delete(empty);
    }

    [Fact]
    public async Task AtTemperatureZero_ARoundAgainstVisrlServeInAnotherProcessEqualsTheInProcessRound()
    {
        const int items = 4, attempts = 2;
        var local = await round.StartRoundAsync(round.Synthetic, items, HttpRoundFixture.Config(2, attempts, 0));
        var serve = HttpRoundFixture.Http(round.ServeUrl, round.ModelId);
        var http = await round.StartRoundAsync(round.Synthetic, items, HttpRoundFixture.Config(2, attempts, 0, policy: serve, judge: serve));
        Assert.Equal("Paired", (await round.WaitForEndAsync(local, RoundTimeout)).State);
        var ended = await round.WaitForEndAsync(http, RoundTimeout);
        Assert.True(ended.State == "Paired", $"{ended.State}: {ended.FailureReason}");

        await using var db = PersistenceExtensions.CreateVisRLDbContext(round.Database);
        var (l, h) = (await CandidatesAsync(db, local.IterationId), await CandidatesAsync(db, http.IterationId));
        Assert.Equal(items * attempts * 2, l.Count);
        Assert.Equal(l.Select(c => (c.ItemId, c.Attempt, c.Kind)), h.Select(c => (c.ItemId, c.Attempt, c.Kind)));
        for (int i = 0; i < l.Count; i++)
        {
            var who = $"item {l[i].ItemId} attempt {l[i].Attempt} {l[i].Kind}";
            Assert.True((l[i].X1, l[i].Y1, l[i].X2, l[i].Y2) == (h[i].X1, h[i].Y1, h[i].X2, h[i].Y2), $"{who}: box {l[i].BoxText} vs {h[i].BoxText}");
            Assert.True(l[i].Answer == h[i].Answer, $"{who}: answer '{l[i].Answer}' vs '{h[i].Answer}'");
            Assert.Equal(l[i].BoxParseError is null, h[i].BoxParseError is null);
            // The same box; the server prints the model's bin edges at full precision instead of 3 decimals.
            Assert.Equal(BoxParser.Parse(l[i].BoxText).Box.ToString(), BoxParser.Parse(h[i].BoxText).Box.ToString());
            Assert.Null(h[i].BoxLogProb); // an endpoint gives no log-probs
        }
        Assert.Contains(l, c => c.Answer.Length > 0);

        var (ls, hs) = (await ScoresAsync(db, local.IterationId), await ScoresAsync(db, http.IterationId));
        Assert.Equal(l.Count, ls.Count);
        Assert.Equal(h.Count, hs.Count);
        Assert.All(hs.Values, s => Assert.Equal(JudgeIds.Of(new ModelEndpoint(Kind: "http", BaseUrl: round.ServeUrl, Model: round.ModelId)), s.JudgeId));
        for (int i = 0; i < l.Count; i++)
        {
            var (a, b) = (ls[l[i].Id], hs[h[i].Id]);
            Assert.Equal(a.AnswerScore, b.AnswerScore);
            Assert.Equal(a.Error, b.Error);
            // s_b: the same probability; float32 sums differ in the last digits with the batch shape
            // (the in-process critic scores a batch at once, the server one request at a time).
            if (a.BoxScore is { } expected) Assert.Equal(expected, b.BoxScore!.Value, tolerance: 1e-4 * expected);
            else Assert.Null(b.BoxScore);
            Assert.StartsWith("s_r: {\"score\": ", b.RawReply);
        }
        // The filter saw the same scores: the same pairs (or the same empty set).
        var pairs = await db.PairSets.AsNoTracking().Where(p => p.IterationId == local.IterationId || p.IterationId == http.IterationId).ToListAsync();
        Assert.Equal(2, pairs.Count);
    }

    [Fact]
    public async Task TheRealImagesGoThroughTheHttpPathEndToEnd()
    {
        var itemIds = await round.ItemIdsAsync(round.RealImages);
        var serve = HttpRoundFixture.Http(round.ServeUrl, round.ModelId);
        var start = await round.StartRoundAsync(round.RealImages, itemIds.Count, HttpRoundFixture.Config(4, 1, 1.0, policy: serve, judge: serve));
        var ended = await round.WaitForEndAsync(start, RoundTimeout);
        Assert.True(ended.State == "Paired", $"{ended.State}: {ended.FailureReason}");

        await using var db = PersistenceExtensions.CreateVisRLDbContext(round.Database);
        Assert.Empty(await db.WorkFailures.AsNoTracking().Where(f => f.IterationId == start.IterationId).ToListAsync());
        var candidates = await CandidatesAsync(db, start.IterationId);
        Assert.Equal(itemIds.Count * 2, candidates.Count);
        Assert.Equal(itemIds.Order(), candidates.Select(c => c.ItemId).Distinct().Order());
        Assert.All(candidates.Where(c => c.Kind == CandidateKinds.Own), c =>
        {
            Assert.True(c.X1 is not null, $"item {c.ItemId}: {c.BoxText} ({c.BoxParseError})");
            Assert.True(BoxParser.Parse(c.BoxText).Success);
            Assert.False(string.IsNullOrWhiteSpace(c.Answer));
        });
        var scores = await ScoresAsync(db, start.IterationId);
        Assert.Equal(candidates.Count, scores.Count);
        Assert.All(scores.Values, s =>
        {
            Assert.Equal(0, s.AnswerScore); // nonsense answers never match "unknown"
            // The tiny judge cannot read these questions, so it declines s_b with a reason, which is recorded with the reply.
            Assert.True(s.BoxScore is >= 0 and <= 1 || (s.Error ?? "").Contains("s_b: reply is not a score"), $"s_b {s.BoxScore}, error {s.Error}");
        });
        Assert.Contains(scores.Values, s => (s.RawReply ?? "").Contains("the judge cannot read the question", StringComparison.Ordinal));
    }

    [Fact]
    public async Task MalformedJudgeRepliesAreRecordedWithTheReason_500sAndTimeoutsAreRetriedThenFailTheirItem_AndTheRoundEnds()
    {
        var itemIds = await round.ItemIdsAsync(round.Synthetic);
        List<Item> rows;
        await using (var db = PersistenceExtensions.CreateVisRLDbContext(round.Database))
            rows = await db.Items.AsNoTracking().Where(i => itemIds.Contains(i.Id)).OrderBy(i => i.Ordinal).ToListAsync();
        // Two items the faulty judge can tell apart by what its prompts hold (question and standard answer).
        var unique = rows.GroupBy(r => (r.Question, r.StandardAnswer)).Where(g => g.Count() == 1).Select(g => g.Single()).ToList();
        Assert.True(unique.Count >= 3, "the synthetic split has too few distinguishable items");
        var (crashing, slow) = (unique[0], unique[1]);
        static string Key(Item i) => $"Question: {i.Question}\nStandard answer: {i.StandardAnswer}\n";
        round.FaultHandler = async (mode, text) =>
        {
            if (text.Contains(Key(crashing), StringComparison.Ordinal)) return (500, "{\"error\":{\"message\":\"the judge crashed\"}}");
            if (text.Contains(Key(slow), StringComparison.Ordinal)) { await Task.Delay(TimeSpan.FromSeconds(3)); return (200, FaultyEndpoint.Completion("{\"score\": 1}")); }
            return (200, FaultyEndpoint.Completion(text.StartsWith(JudgePrompts.AnswerHeader, StringComparison.Ordinal)
                ? "```json\n{\"score\": 1}\n```"            // s_r: fenced JSON, read fine
                : "The region looks relevant to me."));      // s_b: no score in it
        };
        var judge = HttpRoundFixture.Http(round.Faults.BaseUrl("judge"), "faulty-judge", timeoutSeconds: 1, maxRetries: 1);
        // Two batches of three, so each bad item shares its batch with good ones: a batch none of whose requests the judge
        // answers, with 5xx or timeouts only, counts as the judge being down (BatchFailed, retried as a whole; a test below has that for the policy).
        var start = await round.StartRoundAsync(round.Synthetic, rows.Count, HttpRoundFixture.Config(3, 1, 1.0, judge: judge, batchTaper: 1));
        var ended = await round.WaitForEndAsync(start, RoundTimeout);
        Assert.True(ended.State == "Paired", $"{ended.State}: {ended.FailureReason}");

        await using var check = PersistenceExtensions.CreateVisRLDbContext(round.Database);
        var failures = await check.WorkFailures.AsNoTracking().Where(f => f.IterationId == start.IterationId && f.Stage == WorkStages.Score).ToDictionaryAsync(f => f.ItemId);
        Assert.Equal(new[] { crashing.Id, slow.Id }.Order(), failures.Keys.Order());
        Assert.Contains("answered 500", failures[crashing.Id].Reason);
        Assert.Contains("the judge crashed", failures[crashing.Id].Reason);
        Assert.Contains("gave up after 2 tries", failures[crashing.Id].Reason);
        Assert.Contains("no answer within 1 s", failures[slow.Id].Reason);
        Assert.True(round.Faults.Requests.Count(r => r.Text.Contains(Key(crashing), StringComparison.Ordinal)) >= 2, "the 500 was not retried");

        var candidates = await CandidatesAsync(check, start.IterationId);
        var scores = await ScoresAsync(check, start.IterationId);
        Assert.DoesNotContain(scores.Keys, id => candidates.Single(c => c.Id == id).ItemId is var item && (item == crashing.Id || item == slow.Id));
        var scored = candidates.Where(c => c.ItemId != crashing.Id && c.ItemId != slow.Id).ToList();
        Assert.Equal(scored.Count, scores.Count);
        Assert.All(scored, c =>
        {
            var s = scores[c.Id];
            Assert.Equal(1, s.AnswerScore);
            Assert.Null(s.BoxScore);
            Assert.Contains(c.X1 is null ? $"s_b: {SelfCritic.NoBox}" : "s_b: reply is not a score: no score in the reply", s.Error);
            if (c.X1 is not null) Assert.Contains("s_b: The region looks relevant to me.", s.RawReply);
        });
    }

    [Fact]
    public async Task APolicyEndpointThatAlwaysAnswers500FailsItsBatchesAfterTheirRetries_AndTheRoundEnds()
    {
        round.FaultHandler = (_, _) => Task.FromResult((500, "{\"error\":{\"message\":\"model overloaded\"}}"));
        int before = round.Faults.Requests.Count(r => r.Mode == "dead");
        var policy = HttpRoundFixture.Http(round.Faults.BaseUrl("dead"), "dead-policy", timeoutSeconds: 5, maxRetries: 1);
        var start = await round.StartRoundAsync(round.Synthetic, 2, HttpRoundFixture.Config(1, 1, 1.0, policy: policy, maxBatchAttempts: 2));
        var ended = await round.WaitForEndAsync(start, RoundTimeout);
        Assert.Equal("Failed", ended.State);
        Assert.Contains("every sample batch failed", ended.FailureReason);

        await using var db = PersistenceExtensions.CreateVisRLDbContext(round.Database);
        var batches = await db.Batches.AsNoTracking().Where(b => b.IterationId == start.IterationId).ToListAsync();
        Assert.Equal(2, batches.Count);
        Assert.All(batches, b =>
        {
            Assert.Equal(("failed", 2), (b.Status, b.Attempts)); // the Orchestrator dispatched each batch twice
            Assert.Contains($"policy endpoint {round.Faults.BaseUrl("dead")} (dead-policy)", b.LastError);
            Assert.Contains("answered 500", b.LastError);
            Assert.Contains("model overloaded", b.LastError);
            Assert.Contains("gave up after 2 tries", b.LastError);
        });
        Assert.False(await db.Candidates.AnyAsync(c => c.IterationId == start.IterationId));
        // 2 batches × 2 dispatches × 1 box request × 2 tries each: once every request of a call failed with a 5xx the
        // endpoint counts as down and the batch fails without asking for the second boxes.
        Assert.True(round.Faults.Requests.Count(r => r.Mode == "dead") - before == 8, $"{round.Faults.Requests.Count(r => r.Mode == "dead") - before} requests");
    }

    [Fact]
    public async Task APolicyEndpointThatRefusesARequestFailsThatItem_EvenInABatchOfOne()
    {
        // A 400 says something about the request, not the endpoint: the item goes to work_failures, as it would
        // beside other items; only an endpoint that is down (the test above) fails the batch.
        round.FaultHandler = (_, _) => Task.FromResult((400, "{\"error\":{\"message\":\"image too large\"}}"));
        var policy = HttpRoundFixture.Http(round.Faults.BaseUrl("refusing"), "refusing-policy", timeoutSeconds: 5, maxRetries: 1);
        var start = await round.StartRoundAsync(round.Synthetic, 2, HttpRoundFixture.Config(1, 1, 1.0, policy: policy, maxBatchAttempts: 2));
        var ended = await round.WaitForEndAsync(start, RoundTimeout);
        Assert.True(ended.State == "Paired", $"{ended.State}: {ended.FailureReason}");

        await using var db = PersistenceExtensions.CreateVisRLDbContext(round.Database);
        var samples = await db.Batches.AsNoTracking().Where(b => b.IterationId == start.IterationId && b.Stage == "sample").ToListAsync();
        Assert.Equal(2, samples.Count);
        Assert.All(samples, b => Assert.Equal(("done", 1), (b.Status, b.Attempts)));
        var failures = await db.WorkFailures.AsNoTracking().Where(f => f.IterationId == start.IterationId && f.Stage == WorkStages.Sample).ToListAsync();
        Assert.Equal(2, failures.Count);
        Assert.All(failures, f => Assert.Contains("answered 400", f.Reason));
        Assert.All(failures, f => Assert.Contains("image too large", f.Reason));
        Assert.False(await db.Candidates.AnyAsync(c => c.IterationId == start.IterationId));
    }

    [Fact]
    public async Task APolicyEndpointThatRefusesItsKeyFailsTheBatches_NotTheItems_SoTheRoundFailsWithTheReason()
    {
        // A 401 (or 403, 404) says the endpoint's settings are wrong: no request of the round can succeed. Failed one
        // item at a time, the round would end done with nothing to pair; failed as batches, it fails with the reason,
        // and a retry with the key mended sends the batches again.
        round.FaultHandler = (_, _) => Task.FromResult((401, "{\"error\":{\"message\":\"Incorrect API key provided\"}}"));
        var policy = HttpRoundFixture.Http(round.Faults.BaseUrl("locked"), "locked-policy", timeoutSeconds: 5, maxRetries: 1);
        var start = await round.StartRoundAsync(round.Synthetic, 2, HttpRoundFixture.Config(1, 1, 1.0, policy: policy, maxBatchAttempts: 2));
        var ended = await round.WaitForEndAsync(start, RoundTimeout);
        Assert.Equal("Failed", ended.State);
        Assert.Matches(@"^every sample batch failed \(batch [01]: policy endpoint .*: the endpoint refuses every request: endpoint .*\(locked-policy\) answered 401 Unauthorized: Incorrect API key provided\)", ended.FailureReason);

        await using var db = PersistenceExtensions.CreateVisRLDbContext(round.Database);
        var samples = await db.Batches.AsNoTracking().Where(b => b.IterationId == start.IterationId && b.Stage == "sample").ToListAsync();
        Assert.Equal(2, samples.Count);
        Assert.All(samples, b => Assert.Equal(("failed", 2), (b.Status, b.Attempts)));
        Assert.False(await db.WorkFailures.AnyAsync(f => f.IterationId == start.IterationId)); // no item is marked failed for it
    }
}
