namespace VisRL.Serving;

/// <summary>
/// What `visrl serve` answers and the limits of a request. A request over a limit gets a 4xx with an
/// OpenAI-style error naming the limit (<see cref="ApiError"/>). Defaults fit the reference's inputs
/// (photos and documents up to 2592×1944 and 3749×1031 pixels, sent as PNG data URLs).
/// </summary>
public sealed record ServingOptions
{
    /// <summary>The model id of /v1/models; requests naming another model get 404.</summary>
    public required string ModelId { get; init; }

    /// <summary>When set, every request needs "Authorization: Bearer {ApiKey}".</summary>
    public string? ApiKey { get; init; }

    /// <summary>Largest request body (Kestrel's limit; beyond it: 413).</summary>
    public long MaxRequestBytes { get; init; } = 64L << 20;

    /// <summary>Largest decoded image file (one image_url).</summary>
    public int MaxImageBytes { get; init; } = 32 << 20;

    /// <summary>Largest image in pixels (width × height), checked from the header before decoding.</summary>
    public long MaxImagePixels { get; init; } = 25_000_000;

    /// <summary>Images in one request: VisRL-Tiny's two-turn protocol sees at most two (global view and crop).</summary>
    public int MaxImages { get; init; } = 2;

    public int MaxMessages { get; init; } = 16;

    /// <summary>Characters of text in one request.</summary>
    public int MaxTextChars { get; init; } = 16_000;

    /// <summary>Largest max_tokens (VisRL-Tiny's context is small; its answers are a few tokens).</summary>
    public int MaxTokens { get; init; } = 64;

    /// <summary>Largest n (choices per request).</summary>
    public int MaxChoices { get; init; } = 8;
}
