using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using VisRL.Contracts.V1;
using VisRL.DataGeneration;
using VisRL.DataGeneration.Backends;
using VisRL.DataGeneration.Backends.Http;
using VisRL.Imaging.Geometry;

namespace VisRL.Serving.Tests;

/// <summary>
/// The real server (Kestrel on a free port) with a tiny random model: the OpenAI surface, its 4xx
/// answers, and the HTTP backends against it giving exactly what the in-process backends give.
/// </summary>
public class ServerTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    // Expect: 100-continue waits for the server's answer as long as a request may take, not the handler's default 1 s:
    // a server slowed by a busy machine would otherwise get the oversized body after all, and close on it (a broken pipe).
    private static readonly HttpClient Http = new(new SocketsHttpHandler { Expect100ContinueTimeout = TimeSpan.FromSeconds(60) })
        { Timeout = TimeSpan.FromSeconds(60) };

    private async Task<(HttpStatusCode Status, JsonNode? Body, string Text)> PostAsync(string json, string? key = ServerFixture.ApiKey, bool expectContinue = false)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, server.BaseUrl + "/chat/completions") { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        if (key is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        // With Expect: 100-continue the server can refuse an oversized body before the client sends it (no reset mid-upload).
        if (expectContinue) request.Headers.ExpectContinue = true;
        using var response = await Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        JsonNode? body = null;
        try { body = JsonNode.Parse(text); } catch (System.Text.Json.JsonException) { }
        return (response.StatusCode, body, text);
    }

    private JsonObject BoxTurnBody(int n = 1, int? seed = 5, double temperature = 0)
    {
        var item = Tiny.Items[0];
        var body = new JsonObject
        {
            ["model"] = ServerFixture.ModelId, ["temperature"] = temperature, ["n"] = n,
            ["messages"] = new ChatWire().Messages(PolicyPrompts.BoxTurn(item.Image, item.Question)),
        };
        if (seed is { } s) body["seed"] = s;
        return body;
    }

    private ChatClient Client(int maxRetries = 0) => new(Http, new ModelEndpoint(ModelEndpoint.Http, server.BaseUrl, ServerFixture.ModelId, MaxRetries: maxRetries),
        ServerFixture.ApiKey, new SemaphoreSlim(4, 4));

    [Fact]
    public async Task ModelsListsTheServedModel_BehindTheApiKey()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, server.BaseUrl + "/models");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", ServerFixture.ApiKey);
        using var response = await Http.SendAsync(request);
        var models = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("list", models["object"]!.GetValue<string>());
        Assert.Equal(ServerFixture.ModelId, models["data"]![0]!["id"]!.GetValue<string>());

        var (status, body, _) = await PostAsync(BoxTurnBody().ToJsonString(), key: null);
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Equal("invalid_api_key", body!["error"]!["code"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.Unauthorized, (await PostAsync(BoxTurnBody().ToJsonString(), key: "wrong")).Status);
    }

    [Fact]
    public async Task ABoxTurnAnswersABoxAtTheModelsExactBinEdges_AndNChoicesFollowSeedPlusI()
    {
        var (status, body, text) = await PostAsync(BoxTurnBody(n: 3, seed: 11, temperature: 2).ToJsonString());
        Assert.True(status == HttpStatusCode.OK, text);
        Assert.Equal("chat.completion", body!["object"]!.GetValue<string>());
        var choices = body["choices"]!.AsArray().Select(c => c!["message"]!["content"]!.GetValue<string>()).ToList();
        Assert.Equal(3, choices.Count);
        var item = Tiny.Items[0];
        var expected = server.Model.GenerateBox([.. Enumerable.Range(0, 3).Select(i => new Modeling.BoxRequest(item.Image, item.Question, 11 + i))],
            new Modeling.SamplingOptions { Temperature = 2 }, constrained: true);
        Assert.Equal(expected.Select(e => BoxTexts.Exact(e.Box!.Value)), choices);
        Assert.All(choices, c => Assert.Equal(BoxParser.Parse(c).Box, expected[choices.IndexOf(c)].Box));
        Assert.True(body["usage"]!["prompt_tokens"]!.GetValue<int>() > 0);
    }

    [Fact]
    public async Task StreamingSendsChunksThenDone()
    {
        var body = BoxTurnBody();
        body["stream"] = true;
        var (status, _, text) = await PostAsync(body.ToJsonString());
        Assert.Equal(HttpStatusCode.OK, status);
        var events = text.Split("\n\n", StringSplitOptions.RemoveEmptyEntries).Select(e => e["data: ".Length..]).ToList();
        Assert.Equal("[DONE]", events[^1]);
        var chunks = events[..^1].Select(e => JsonNode.Parse(e)!).ToList();
        Assert.All(chunks, c => Assert.Equal("chat.completion.chunk", c["object"]!.GetValue<string>()));
        var content = string.Concat(chunks.Select(c => (string?)c["choices"]![0]!["delta"]!["content"] ?? ""));
        Assert.NotNull(BoxParser.Parse(content).Success ? content : null);
        Assert.Equal("stop", chunks[^1]["choices"]![0]!["finish_reason"]!.GetValue<string>());
    }

    [Fact]
    public async Task BadRequestsGetOpenAiErrorsThatSayWhatIsWrong()
    {
        var tooMany = BoxTurnBody();
        tooMany["max_tokens"] = 1000;
        var (status, body, _) = await PostAsync(tooMany.ToJsonString());
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(("max_tokens", "invalid_request_error"), (body!["error"]!["param"]!.GetValue<string>(), body["error"]!["type"]!.GetValue<string>()));
        Assert.Contains("within [1, 64]", body["error"]!["message"]!.GetValue<string>());

        var textOnly = new JsonObject { ["model"] = ServerFixture.ModelId, ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = "hello" }) };
        (status, body, _) = await PostAsync(textOnly.ToJsonString());
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("unsupported_conversation", body!["error"]!["code"]!.GetValue<string>());

        // 5 MiB against a 4 MiB limit: 413 before anything is parsed.
        var (bigStatus, bigBody, _) = await PostAsync("{\"model\":\"" + new string('x', 5 << 20) + "\"}", expectContinue: true);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, bigStatus);
        Assert.Equal("request_too_large", bigBody!["error"]!["code"]!.GetValue<string>());

        var (jsonStatus, jsonBody, _) = await PostAsync("{not json");
        Assert.Equal(HttpStatusCode.BadRequest, jsonStatus);
        Assert.Contains("not a JSON object", jsonBody!["error"]!["message"]!.GetValue<string>());

        // A base URL without /v1, and a method the route does not take: OpenAI errors that say where the API is.
        foreach (var (method, url, expected, code) in new[]
        {
            (HttpMethod.Post, new Uri(new Uri(server.BaseUrl), "/chat/completions"), HttpStatusCode.NotFound, "unknown_route"),
            (HttpMethod.Get, new Uri(server.BaseUrl + "/chat/completions"), HttpStatusCode.MethodNotAllowed, "method_not_allowed"),
        })
        {
            using var request = new HttpRequestMessage(method, url) { Content = method == HttpMethod.Post ? new StringContent("{}", Encoding.UTF8, "application/json") : null };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", ServerFixture.ApiKey);
            using var response = await Http.SendAsync(request);
            var error = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["error"]!;
            Assert.Equal((expected, code), (response.StatusCode, error["code"]!.GetValue<string>()));
            Assert.Contains($"there is no {method} {url.AbsolutePath} here", error["message"]!.GetValue<string>());
            Assert.Contains("POST /v1/chat/completions", error["message"]!.GetValue<string>());
        }
    }

    [Fact]
    public async Task AQuestionOutsideTheVocabularyIsAnsweredWithUnk_ButTooLongAPromptIsA400()
    {
        var item = Tiny.Items[0];
        var body = new JsonObject
        {
            ["model"] = ServerFixture.ModelId, ["temperature"] = 0,
            ["messages"] = new ChatWire().Messages(PolicyPrompts.BoxTurn(item.Image, "What is the applicant's phone number?")),
        };
        var (status, reply, text) = await PostAsync(body.ToJsonString());
        Assert.True(status == HttpStatusCode.OK, text);
        Assert.True(BoxParser.Parse(reply!["choices"]![0]!["message"]!["content"]!.GetValue<string>()).Success);

        body["messages"] = new ChatWire().Messages(PolicyPrompts.BoxTurn(item.Image, string.Join(' ', Enumerable.Repeat("red", 80)) + "?"));
        (status, reply, _) = await PostAsync(body.ToJsonString());
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("context_length_exceeded", reply!["error"]!["code"]!.GetValue<string>());
        Assert.Contains("exceeds MaxSequence", reply["error"]!["message"]!.GetValue<string>());
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(2.0)]
    public async Task SamplingOverHttpEqualsSamplingInProcess(double temperature)
    {
        var items = Tiny.SampleItems(2);
        var settings = new SamplingSettings(Attempts: 2, Temperature: temperature);
        var local = await new CandidateSampler(new InProcessPolicy(server.Model)).SampleAsync(items, settings);
        var remote = await new CandidateSampler(new HttpPolicy(Client())).SampleAsync(items, settings);
        Assert.Empty(remote.Failed);
        Assert.Equal(local.Candidates.Count, remote.Candidates.Count);
        for (int i = 0; i < local.Candidates.Count; i++)
        {
            var (l, r) = (local.Candidates[i], remote.Candidates[i]);
            Assert.Equal((l.ItemId, l.Attempt, l.Kind, l.Box, l.Answer), (r.ItemId, r.Attempt, r.Kind, r.Box, r.Answer));
            Assert.Equal(BoxParser.Parse(l.BoxText).Box.ToString(), BoxParser.Parse(r.BoxText).Box.ToString()); // same box; HTTP prints it at full precision
            Assert.Null(r.BoxLogProb); // an endpoint gives no log-probs
        }
    }

    [Fact]
    public async Task JudgingOverHttpEqualsTheInProcessCritic()
    {
        var items = Tiny.SampleItems(2);
        var candidates = new CandidateSampler(server.Model).Sample(items, new SamplingSettings(Attempts: 1));
        var synthetic = Tiny.Items.Take(2).ToList();
        var inputs = candidates.Select((c, i) => new CriticInput(i, items.Single(x => x.ItemId == c.ItemId).Scene, items.Single(x => x.ItemId == c.ItemId).Question,
            i % 3 == 0 ? c.Answer : synthetic[(int)(c.ItemId - 100)].Answer, c.Box, c.Answer, c.ItemId)).ToList();
        var local = new SelfCritic(server.Model).Score(inputs, useBoxCritic: true);
        var remote = await new HttpJudge(Client()).ScoreAsync(inputs, useBoxCritic: true, CancellationToken.None);
        Assert.Empty(remote.Failed);
        Assert.Equal(local.Select(r => (r.CandidateId, r.AnswerScore, r.Error)), remote.Results.Select(r => (r.CandidateId, r.AnswerScore, r.Error)));
        // s_b is the same probability; float32 sums differ in the last digits with the batch shape
        // (the in-process critic scores the batch at once, the server one request at a time).
        Assert.All(local.Zip(remote.Results), p => Assert.Equal(p.First.BoxScore!.Value, p.Second.BoxScore!.Value, tolerance: 1e-4 * p.First.BoxScore.Value));
        Assert.Contains(remote.Results, r => r.AnswerScore == 1); // the standard answer set to the candidate's own answer matches
        Assert.All(remote.Results, r => Assert.Contains("s_r: {\"score\":", r.RawReply));
    }
}
