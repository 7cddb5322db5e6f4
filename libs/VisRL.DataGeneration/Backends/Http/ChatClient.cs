using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using VisRL.Contracts.V1;

namespace VisRL.DataGeneration.Backends.Http;

/// <summary>
/// POST {baseUrl}/chat/completions of one endpoint, with what a long round needs from a remote model:
/// a timeout per try, retries with doubling backoff (plus jitter, or the server's Retry-After) for
/// timeouts, connection errors, 408, 429 and 5xx, the endpoint's concurrency gate, and an optional
/// bearer key. A 4xx other than 408/429 is not retried (the request itself is wrong, or for 401, 403 and
/// 404 the endpoint's settings); its OpenAI error message is kept. Failures are <see cref="EndpointException"/>s that name the endpoint.
/// </summary>
public sealed class ChatClient(HttpClient http, ModelEndpoint endpoint, string? apiKey, SemaphoreSlim gate)
{
    private readonly ChatWire _wire = new();
    private readonly Uri _url = new(endpoint.BaseUrl!.TrimEnd('/') + "/chat/completions");

    /// <summary>"http://host:port/v1 (model)": how failures name the endpoint.</summary>
    public string Name { get; } = $"{endpoint.BaseUrl} ({endpoint.Model})";

    /// <summary>The content of the first choice.</summary>
    public async Task<string> CompleteAsync(IReadOnlyList<ChatMessage> messages, double temperature, int? seed, CancellationToken cancellationToken)
    {
        var body = new JsonObject
        {
            ["model"] = endpoint.Model, ["messages"] = _wire.Messages(messages), ["temperature"] = temperature, ["n"] = 1,
        };
        if (seed is { } s) body["seed"] = s;
        if (endpoint.MaxTokens is { } m) body["max_tokens"] = m;
        var json = body.ToJsonString();

        for (int attempt = 0; ; attempt++)
        {
            TimeSpan? retryAfter;
            EndpointException failure;
            await gate.WaitAsync(cancellationToken);
            try
            {
                (var content, failure, retryAfter) = await TryAsync(json, cancellationToken);
                if (content is not null) return content;
            }
            finally
            {
                gate.Release();
            }
            if (!failure.Transient) throw failure;
            if (attempt >= endpoint.MaxRetries)
                throw new EndpointException($"{failure.Message} (gave up after {attempt + 1} tries)", transient: true, failure.InnerException);
            await Task.Delay(retryAfter ?? Backoff(attempt), cancellationToken);
        }
    }

    private async Task<(string? Content, EndpointException Failure, TimeSpan? RetryAfter)> TryAsync(string json, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(endpoint.TimeoutSeconds));
        using var request = new HttpRequestMessage(HttpMethod.Post, _url) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        if (!string.IsNullOrEmpty(apiKey)) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        try
        {
            using var response = await http.SendAsync(request, timeout.Token);
            var text = await response.Content.ReadAsStringAsync(timeout.Token);
            if (response.IsSuccessStatusCode)
                return Content(text) is { } content ? (content, null!, null) : (null, Fail($"answered {(int)response.StatusCode} with a body that is not a chat completion: '{Excerpt(text)}'", false), null);
            int code = (int)response.StatusCode;
            bool transient = code is 408 or 429 || code >= 500;
            var retryAfter = response.Headers.RetryAfter?.Delta is { } delta ? TimeSpan.FromSeconds(Math.Min(delta.TotalSeconds, 30)) : (TimeSpan?)null;
            return (null, Fail($"answered {code} {response.ReasonPhrase}: {ErrorMessage(text)}", transient, refusesEveryRequest: code is 401 or 403 or 404), retryAfter);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            return (null, Fail($"no answer within {endpoint.TimeoutSeconds:0.###} s", true, e), null);
        }
        catch (HttpRequestException e)
        {
            return (null, Fail($"cannot be reached: {e.Message}", true, e), null);
        }
    }

    private EndpointException Fail(string why, bool transient, Exception? inner = null, bool refusesEveryRequest = false) =>
        new($"endpoint {Name} {why}", transient, inner, refusesEveryRequest);

    private TimeSpan Backoff(int attempt) =>
        TimeSpan.FromSeconds(endpoint.RetryDelaySeconds * Math.Pow(2, attempt) * (0.8 + 0.4 * Random.Shared.NextDouble()));

    /// <summary>choices[0].message.content as a string (or its text parts joined); null when the body is no completion.</summary>
    private static string? Content(string body)
    {
        try
        {
            var content = JsonNode.Parse(body)?["choices"]?[0]?["message"]?["content"];
            return content switch
            {
                JsonValue v when v.TryGetValue<string>(out var s) => s,
                JsonArray parts => string.Concat(parts.Select(p => (string?)p?["text"] ?? "")),
                null => null,
                _ => null,
            };
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>The OpenAI error's message when the body is one, else an excerpt of the body.</summary>
    private static string ErrorMessage(string body)
    {
        try
        {
            if (JsonNode.Parse(body)?["error"]?["message"] is JsonValue m && m.TryGetValue<string>(out var message)) return message;
        }
        catch (JsonException) { }
        return string.IsNullOrWhiteSpace(body) ? "(empty body)" : $"'{Excerpt(body)}'";
    }

    private static string Excerpt(string text)
    {
        var one = text.ReplaceLineEndings(" ").Trim();
        return one.Length <= 200 ? one : one[..197] + "...";
    }
}
