using System.Text.Json;
using System.Text.Json.Nodes;
using VisRL.DataGeneration.Backends.Http;
using VisRL.Imaging;

namespace VisRL.Serving;

/// <summary>
/// Reads and validates a chat-completions body (the fields VisRL-Tiny can honour; others, such as
/// logprobs or stream_options, are ignored as OpenAI-compatible servers commonly do). Every rejection
/// names the field (JSON path) and the reason. Images must be data URLs (PNG or JPEG): the server
/// fetches nothing from the network. Decoded images come from <paramref name="images"/> when the same
/// bytes were decoded recently.
/// </summary>
public sealed class ChatRequestReader(ServingOptions options, ImageCache? images = null)
{
    private static readonly string[] Roles = [ChatMessage.System, ChatMessage.User, ChatMessage.Assistant, "developer"];

    public (ChatRequest? Request, ApiError? Error) Read(string body)
    {
        JsonObject root;
        try
        {
            // Duplicate keys refused here: JsonNode would throw a plain ArgumentException when a field is first read (a 500).
            root = JsonNode.Parse(body, documentOptions: new JsonDocumentOptions { AllowDuplicateProperties = false }) as JsonObject
                ?? throw new JsonException("not a JSON object");
        }
        catch (JsonException e)
        {
            return Fail(ApiError.Invalid("body", $"the request body is not a JSON object: {e.Message}"));
        }
        try
        {
            var model = String(root, "model") ?? throw Invalid("model", "model is required (GET /v1/models lists it)");
            if (model != options.ModelId)
                return Fail(new ApiError(404, $"the model '{model}' does not exist; this server serves '{options.ModelId}'", "model", "model_not_found"));
            var messages = Messages(root["messages"]);
            double temperature = Number(root, "temperature") ?? 1.0;
            if (temperature is < 0 or > 2) throw Invalid("temperature", $"temperature must be within [0, 2], not {temperature}");
            double topP = Number(root, "top_p") ?? 1.0;
            if (topP is <= 0 or > 1) throw Invalid("top_p", $"top_p must be within (0, 1], not {topP}");
            var maxTokensField = root.ContainsKey("max_completion_tokens") ? "max_completion_tokens" : "max_tokens";
            int? maxTokens = Integer(root, maxTokensField);
            if (maxTokens is { } m && (m < 1 || m > options.MaxTokens))
                throw Invalid(maxTokensField, $"{maxTokensField} must be within [1, {options.MaxTokens}] for this model, not {m}", "max_tokens_out_of_range");
            int n = Integer(root, "n") ?? 1;
            if (n < 1 || n > options.MaxChoices) throw Invalid("n", $"n must be within [1, {options.MaxChoices}], not {n}", "n_out_of_range");
            int? seed = Seed(root);
            bool stream = root["stream"] switch
            {
                null => false,
                JsonValue v when v.TryGetValue<bool>(out var b) => b,
                _ => throw Invalid("stream", "stream must be true or false"),
            };
            return (new ChatRequest(model, messages, temperature, topP, maxTokens, n, seed, stream), null);
        }
        catch (InvalidRequest e)
        {
            return Fail(e.Error);
        }
    }

    private static (ChatRequest?, ApiError?) Fail(ApiError error) => (null, error);

    private List<ChatMessage> Messages(JsonNode? node)
    {
        if (node is not JsonArray array || array.Count == 0) throw Invalid("messages", "messages must be a non-empty array");
        if (array.Count > options.MaxMessages) throw Invalid("messages", $"{array.Count} messages exceed the limit of {options.MaxMessages}", "too_many_messages");
        var messages = new List<ChatMessage>(array.Count);
        int images = 0, chars = 0;
        for (int i = 0; i < array.Count; i++)
        {
            var path = $"messages[{i}]";
            if (array[i] is not JsonObject message) throw Invalid(path, $"{path} must be an object");
            var role = String(message, "role", path) ?? throw Invalid($"{path}.role", $"{path}.role is required");
            if (!Roles.Contains(role)) throw Invalid($"{path}.role", $"{path}.role must be one of {string.Join(", ", Roles)}, not '{role}'");
            var parts = Parts(message["content"], $"{path}.content");
            images += parts.Count(p => p.Image is not null);
            chars += parts.Sum(p => p.Text?.Length ?? 0);
            if (images > options.MaxImages)
                throw Invalid($"{path}.content", $"the request holds more than {options.MaxImages} images (VisRL-Tiny sees the global image and one crop)", "too_many_images");
            if (chars > options.MaxTextChars) throw Invalid($"{path}.content", $"the request's text exceeds {options.MaxTextChars} characters", "text_too_long");
            messages.Add(new ChatMessage(role == "developer" ? ChatMessage.System : role, parts));
        }
        return messages;
    }

    private List<ChatPart> Parts(JsonNode? content, string path)
    {
        switch (content)
        {
            case null:
                return [];
            case JsonValue v when v.TryGetValue<string>(out var text):
                return [ChatPart.Of(text)];
            case JsonArray array:
                var parts = new List<ChatPart>(array.Count);
                for (int j = 0; j < array.Count; j++)
                {
                    var partPath = $"{path}[{j}]";
                    if (array[j] is not JsonObject part) throw Invalid(partPath, $"{partPath} must be an object");
                    var type = String(part, "type", partPath);
                    parts.Add(type switch
                    {
                        "text" => ChatPart.Of(String(part, "text", partPath) ?? throw Invalid($"{partPath}.text", $"{partPath}.text is required")),
                        "image_url" => ChatPart.Of(Image(part["image_url"], $"{partPath}.image_url")),
                        _ => throw Invalid($"{partPath}.type", $"{partPath}.type must be 'text' or 'image_url', not '{type}'"),
                    });
                }
                return parts;
            default:
                throw Invalid(path, $"{path} must be a string or an array of text and image_url parts");
        }
    }

    private RgbImage Image(JsonNode? node, string path)
    {
        var url = node switch
        {
            JsonObject o => String(o, "url", path),
            JsonValue v when v.TryGetValue<string>(out var s) => s,
            _ => null,
        } ?? throw Invalid($"{path}.url", $"{path}.url is required");
        const string marker = ";base64,";
        int at = url.IndexOf(marker, StringComparison.Ordinal);
        if (!url.StartsWith("data:image/", StringComparison.OrdinalIgnoreCase) || at < 0)
            throw Invalid($"{path}.url", $"{path}.url must be a base64 data URL (data:image/png;base64,…); this server fetches no remote images", "invalid_image_url");
        var base64 = url.AsSpan(at + marker.Length);
        if ((long)base64.Length * 3 / 4 > options.MaxImageBytes)
            throw Invalid($"{path}.url", $"{path}: the image is about {base64.Length * 3L / 4 / 1024} KiB; the limit is {options.MaxImageBytes / 1024} KiB", "image_too_large");
        byte[] bytes;
        try { bytes = Convert.FromBase64String(base64.ToString()); }
        catch (FormatException) { throw Invalid($"{path}.url", $"{path}.url is not valid base64", "invalid_image"); }
        try
        {
            var (width, height) = ImageCodec.ReadSize(bytes, path);
            if ((long)width * height > options.MaxImagePixels)
                throw Invalid($"{path}.url", $"{path}: {width}×{height} = {(long)width * height} pixels exceeds the limit of {options.MaxImagePixels}", "image_too_large");
            return images is null ? ImageCodec.Decode(bytes, path) : images.GetOrDecode(bytes, b => ImageCodec.Decode(b, path));
        }
        catch (ImageDecodeException e)
        {
            throw Invalid($"{path}.url", $"{path} does not decode as PNG or JPEG: {e.Message}", "invalid_image");
        }
    }

    private static int? Seed(JsonObject root)
    {
        if (root["seed"] is null) return null;
        if (root["seed"] is JsonValue v && v.TryGetValue<long>(out var seed))
            // Seeds beyond 32 bits (OpenAI allows 64) fold onto the generator's int seed.
            return seed is >= int.MinValue and <= int.MaxValue ? (int)seed : (int)(seed ^ (seed >> 32));
        throw Invalid("seed", "seed must be an integer");
    }

    private static string? String(JsonObject o, string name, string? path = null)
    {
        var field = path is null ? name : $"{path}.{name}";
        return o[name] switch
        {
            null => null,
            JsonValue v when v.TryGetValue<string>(out var s) => s,
            _ => throw Invalid(field, $"{field} must be a string"),
        };
    }

    private static double? Number(JsonObject o, string name) => o[name] switch
    {
        null => null,
        JsonValue v when v.TryGetValue<double>(out var d) => d,
        _ => throw Invalid(name, $"{name} must be a number"),
    };

    private static int? Integer(JsonObject o, string name) => o[name] switch
    {
        null => null,
        JsonValue v when v.TryGetValue<int>(out var i) => i,
        _ => throw Invalid(name, $"{name} must be an integer"),
    };

    private static InvalidRequest Invalid(string param, string message, string? code = null) => new(ApiError.Invalid(param, message, code));

    private sealed class InvalidRequest(ApiError error) : Exception(error.Message)
    {
        public ApiError Error { get; } = error;
    }
}
