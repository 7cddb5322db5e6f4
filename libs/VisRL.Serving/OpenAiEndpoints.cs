using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace VisRL.Serving;

/// <summary>
/// GET /v1/models, GET /v1/models/{id}, POST /v1/chat/completions — the subset of the OpenAI API that
/// OpenAI clients, vLLM-style tools and VisRL's own HTTP backends use. Every error is an
/// <see cref="ApiError"/> JSON; with an API key set, every route needs it.
/// </summary>
public static class OpenAiEndpoints
{
    public static IEndpointRouteBuilder MapVisRLOpenAi(this IEndpointRouteBuilder app, TinyChatModel model, ServingOptions options)
    {
        long created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var reader = new ChatRequestReader(options, new ImageCache());
        var v1 = app.MapGroup("/v1").AddEndpointFilter(async (context, next) =>
            Authorized(context.HttpContext, options) ?? await next(context));

        v1.MapGet("/models", () => Results.Json(ChatResponses.Models(options.ModelId, created)));
        v1.MapGet("/models/{id}", (string id) => id == options.ModelId
            ? Results.Json(ChatResponses.Model(options.ModelId, created))
            : Error(new ApiError(404, $"the model '{id}' does not exist; this server serves '{options.ModelId}'", "model", "model_not_found")));
        v1.MapPost("/chat/completions", async (HttpContext http, CancellationToken cancellationToken) =>
        {
            string body;
            try
            {
                using var stream = new StreamReader(http.Request.Body, Encoding.UTF8);
                body = await stream.ReadToEndAsync(cancellationToken);
            }
            catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
            {
                return Error(new ApiError(413, $"the request body exceeds {options.MaxRequestBytes / (1 << 20)} MiB", "body", "request_too_large"));
            }
            var (request, invalid) = reader.Read(body);
            if (invalid is not null) return Error(invalid);
            var (task, unsupported) = ConversationReader.Read(request!.Messages);
            if (unsupported is not null) return Error(unsupported);
            CompletionSet set;
            try
            {
                set = await model.CompleteAsync(task!, request, cancellationToken);
            }
            catch (Exception e) when (e is ArgumentException or FormatException)
            {
                // The prompt does not fit VisRL-Tiny: longer than its context, or text it cannot encode.
                return Error(ApiError.Invalid("messages", $"the prompt does not fit the model: {e.Message}",
                    e.Message.Contains("MaxSequence", StringComparison.Ordinal) ? "context_length_exceeded" : "invalid_prompt"));
            }
            var id = $"chatcmpl-{Guid.NewGuid():N}";
            return request.Stream
                ? Results.Stream(async output =>
                {
                    foreach (var chunk in ChatResponses.Chunks(id, created, options.ModelId, set))
                        await output.WriteAsync(Encoding.UTF8.GetBytes($"data: {chunk.ToJsonString()}\n\n"), cancellationToken);
                    await output.WriteAsync("data: [DONE]\n\n"u8.ToArray(), cancellationToken);
                }, "text/event-stream")
                : Results.Json(ChatResponses.Completion(id, created, options.ModelId, set));
        });
        return app;
    }

    private static IResult? Authorized(HttpContext http, ServingOptions options)
    {
        if (string.IsNullOrEmpty(options.ApiKey)) return null;
        var header = http.Request.Headers.Authorization.ToString();
        if (header == $"Bearer {options.ApiKey}") return null;
        return Error(new ApiError(401, header.Length == 0
            ? "no API key: send \"Authorization: Bearer KEY\" (this server was started with an API key)"
            : "incorrect API key in the Authorization header", null, "invalid_api_key"));
    }

    private static IResult Error(ApiError error) => Results.Json(error.ToJson(), statusCode: error.Status);

    /// <summary>
    /// Middleware: a path or method the API does not have gets an <see cref="ApiError"/> that lists the routes, not an
    /// empty 404 or 405 (an OpenAI client whose base URL lacks /v1 would show a bare "Error code: 404").
    /// </summary>
    public static async Task UnknownRouteErrors(HttpContext context, RequestDelegate next)
    {
        await next(context);
        if (context.Response is not { HasStarted: false, StatusCode: 404 or 405, ContentType: null }) return;
        var error = new ApiError(context.Response.StatusCode,
            $"there is no {context.Request.Method} {context.Request.Path} here: this server answers GET /v1/models, GET /v1/models/{{id}} " +
            "and POST /v1/chat/completions (an OpenAI client's base URL ends in /v1)", null,
            context.Response.StatusCode == 404 ? "unknown_route" : "method_not_allowed");
        await Error(error).ExecuteAsync(context);
    }

    /// <summary>The default model id of a checkpoint: "visrl-tiny-" + the first 12 hex digits of its content hash.</summary>
    public static string ModelIdOf(string contentHash) => $"visrl-tiny-{contentHash[..Math.Min(12, contentHash.Length)]}";
}
