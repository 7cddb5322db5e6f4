using System.Text.Json.Nodes;

namespace VisRL.Serving;

/// <summary>The chat-completions answers: one JSON object, or server-sent-event chunks for stream = true.</summary>
public static class ChatResponses
{
    public static JsonObject Completion(string id, long created, string model, CompletionSet set) => new()
    {
        ["id"] = id, ["object"] = "chat.completion", ["created"] = created, ["model"] = model,
        ["choices"] = new JsonArray([.. set.Choices.Select((c, i) => (JsonNode)new JsonObject
        {
            ["index"] = i,
            ["message"] = new JsonObject { ["role"] = "assistant", ["content"] = c.Text },
            ["finish_reason"] = c.FinishReason,
        })]),
        ["usage"] = Usage(set),
    };

    /// <summary>
    /// The streamed form: per choice a chunk with the role, one with the whole content (VisRL-Tiny
    /// finishes a reply in milliseconds, so token-by-token chunks would only add overhead), one with the
    /// finish reason; then the usage chunk's data and "[DONE]".
    /// </summary>
    public static IEnumerable<JsonObject> Chunks(string id, long created, string model, CompletionSet set)
    {
        JsonObject Chunk(int index, JsonObject delta, string? finish) => new()
        {
            ["id"] = id, ["object"] = "chat.completion.chunk", ["created"] = created, ["model"] = model,
            ["choices"] = new JsonArray(new JsonObject { ["index"] = index, ["delta"] = delta, ["finish_reason"] = finish }),
        };
        for (int i = 0; i < set.Choices.Count; i++)
        {
            yield return Chunk(i, new JsonObject { ["role"] = "assistant", ["content"] = "" }, null);
            yield return Chunk(i, new JsonObject { ["content"] = set.Choices[i].Text }, null);
            yield return Chunk(i, new JsonObject(), set.Choices[i].FinishReason);
        }
    }

    public static JsonObject Models(string model, long created) => new()
    {
        ["object"] = "list",
        ["data"] = new JsonArray(Model(model, created)),
    };

    public static JsonObject Model(string model, long created) => new() { ["id"] = model, ["object"] = "model", ["created"] = created, ["owned_by"] = "visrl" };

    private static JsonObject Usage(CompletionSet set)
    {
        int completion = set.Choices.Sum(c => c.CompletionTokens);
        return new JsonObject { ["prompt_tokens"] = set.PromptTokens, ["completion_tokens"] = completion, ["total_tokens"] = set.PromptTokens + completion };
    }
}
