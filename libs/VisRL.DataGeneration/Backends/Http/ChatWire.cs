using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using VisRL.Imaging;

namespace VisRL.DataGeneration.Backends.Http;

/// <summary>
/// Chat messages in the OpenAI wire form: a text-only message as a string, others as an array of
/// {"type":"text"} and {"type":"image_url","image_url":{"url":"data:image/png;base64,…"}} parts.
/// Images go as PNG (lossless, so a server sees the pixels the crop was cut from); each image is
/// encoded once per instance (a scene is sent with every turn of its item).
/// </summary>
public sealed class ChatWire
{
    private readonly ConcurrentDictionary<RgbImage, Lazy<string>> _urls = new(ReferenceEqualityComparer.Instance);

    public JsonArray Messages(IReadOnlyList<ChatMessage> messages) => [.. messages.Select(Message)];

    private JsonObject Message(ChatMessage message)
    {
        JsonNode content = message.Parts.All(p => p.Image is null)
            ? JsonValue.Create(message.Text)
            : new JsonArray([.. message.Parts.Select(Part)]);
        return new JsonObject { ["role"] = message.Role, ["content"] = content };
    }

    private JsonObject Part(ChatPart part) => part.Image is { } image
        ? new JsonObject { ["type"] = "image_url", ["image_url"] = new JsonObject { ["url"] = DataUrl(image) } }
        : new JsonObject { ["type"] = "text", ["text"] = part.Text };

    private string DataUrl(RgbImage image) =>
        _urls.GetOrAdd(image, i => new Lazy<string>(() => "data:image/png;base64," + Convert.ToBase64String(ImageCodec.EncodePng(i)))).Value;
}
