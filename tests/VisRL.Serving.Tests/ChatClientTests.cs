using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using VisRL.Contracts.V1;
using VisRL.DataGeneration.Backends.Http;

namespace VisRL.Serving.Tests;

/// <summary>The HTTP client of the backends against a scripted server: what it retries, what it does not, timeouts, the concurrency gate.</summary>
public sealed class ChatClientTests : IAsyncLifetime
{
    private static readonly HttpClient Http = new() { Timeout = Timeout.InfiniteTimeSpan };
    private readonly ConcurrentQueue<Func<HttpContext, Task>> _script = new();
    private readonly ConcurrentBag<string> _authorizations = [];
    private int _requests, _inFlight, _maxInFlight;
    private WebApplication _app = null!;
    private string _baseUrl = "";

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _app = builder.Build();
        _app.MapPost("/v1/chat/completions", async (HttpContext http) =>
        {
            Interlocked.Increment(ref _requests);
            _authorizations.Add(http.Request.Headers.Authorization.ToString());
            int now = Interlocked.Increment(ref _inFlight);
            int seen;
            while ((seen = _maxInFlight) < now && Interlocked.CompareExchange(ref _maxInFlight, now, seen) != seen) { }
            try
            {
                if (_script.TryDequeue(out var step)) await step(http);
                else await Reply(http, 200, Completion("ok"));
            }
            finally
            {
                Interlocked.Decrement(ref _inFlight);
            }
        });
        await _app.StartAsync();
        _baseUrl = _app.Address() + "/v1";
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    private static string Completion(string content) =>
        "{\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":" + System.Text.Json.JsonSerializer.Serialize(content) + "},\"finish_reason\":\"stop\"}]}";

    private static async Task Reply(HttpContext http, int status, string body)
    {
        http.Response.StatusCode = status;
        http.Response.ContentType = "application/json";
        await http.Response.WriteAsync(body);
    }

    private ChatClient Client(int maxRetries = 2, double timeoutSeconds = 5, int concurrency = 4, string? key = null) =>
        new(Http, new ModelEndpoint(ModelEndpoint.Http, _baseUrl, "m", TimeoutSeconds: timeoutSeconds, MaxRetries: maxRetries, RetryDelaySeconds: 0.01), key,
            new SemaphoreSlim(concurrency, concurrency));

    private static IReadOnlyList<ChatMessage> Hello => [new ChatMessage(ChatMessage.User, [ChatPart.Of("hello")])];

    [Fact]
    public async Task A500IsRetriedUntilAnAnswerComes_WithTheBearerKey()
    {
        _script.Enqueue(h => Reply(h, 500, "{\"error\":{\"message\":\"boom\"}}"));
        _script.Enqueue(h => Reply(h, 503, "busy"));
        Assert.Equal("ok", await Client(key: "k1").CompleteAsync(Hello, 0, 1, CancellationToken.None));
        Assert.Equal(3, _requests);
        Assert.All(_authorizations, a => Assert.Equal("Bearer k1", a));
    }

    [Fact]
    public async Task AfterItsRetriesTheClientGivesUpNamingTheEndpointStatusAndMessage()
    {
        for (int i = 0; i < 5; i++) _script.Enqueue(h => Reply(h, 500, "{\"error\":{\"message\":\"boom\"}}"));
        var e = await Assert.ThrowsAsync<EndpointException>(() => Client(maxRetries: 2).CompleteAsync(Hello, 0, null, CancellationToken.None));
        Assert.True(e.Transient);
        Assert.Contains($"endpoint {_baseUrl} (m) answered 500", e.Message);
        Assert.Contains("boom", e.Message);
        Assert.Contains("gave up after 3 tries", e.Message);
        Assert.Equal(3, _requests);
    }

    [Fact]
    public async Task A400IsNotRetried()
    {
        _script.Enqueue(h => Reply(h, 400, "{\"error\":{\"message\":\"max_tokens must be within [1, 64]\"}}"));
        var e = await Assert.ThrowsAsync<EndpointException>(() => Client().CompleteAsync(Hello, 0, null, CancellationToken.None));
        Assert.False(e.Transient);
        Assert.Contains("answered 400", e.Message);
        Assert.Contains("max_tokens must be within [1, 64]", e.Message);
        Assert.Equal(1, _requests);
    }

    [Fact]
    public async Task ASlowAnswerTimesOutAndIsRetried_AndABodyThatIsNoCompletionIsAnError()
    {
        _script.Enqueue(async h => { await Task.Delay(2000); await Reply(h, 200, Completion("late")); });
        Assert.Equal("ok", await Client(timeoutSeconds: 0.5).CompleteAsync(Hello, 0, null, CancellationToken.None));
        Assert.Equal(2, _requests);

        _script.Enqueue(h => Reply(h, 200, "<html>proxy error</html>"));
        var e = await Assert.ThrowsAsync<EndpointException>(() => Client().CompleteAsync(Hello, 0, null, CancellationToken.None));
        Assert.Contains("not a chat completion", e.Message);
    }

    [Fact]
    public async Task TheGateCapsRequestsInFlight()
    {
        for (int i = 0; i < 8; i++) _script.Enqueue(async h => { await Task.Delay(100); await Reply(h, 200, Completion("ok")); });
        var client = Client(concurrency: 2);
        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => client.CompleteAsync(Hello, 0, null, CancellationToken.None)));
        Assert.Equal(2, _maxInFlight);
    }

    [Fact]
    public async Task AnUnreachableEndpointIsATransientFailure()
    {
        var client = new ChatClient(Http, new ModelEndpoint(ModelEndpoint.Http, "http://127.0.0.1:1/v1", "m", MaxRetries: 1, RetryDelaySeconds: 0.01), null, new SemaphoreSlim(1, 1));
        var e = await Assert.ThrowsAsync<EndpointException>(() => client.CompleteAsync(Hello, 0, null, CancellationToken.None));
        Assert.True(e.Transient);
        Assert.Contains("cannot be reached", e.Message);
        Assert.Contains("gave up after 2 tries", e.Message);
    }
}
