using VisRL.DataGeneration.Backends.Http;

namespace VisRL.Serving;

/// <summary>A validated chat-completions request: messages with decoded images, and the decoding knobs.</summary>
public sealed record ChatRequest(
    string Model,
    IReadOnlyList<ChatMessage> Messages,
    double Temperature,
    double TopP,
    int? MaxTokens,
    int N,
    int? Seed,
    bool Stream);
