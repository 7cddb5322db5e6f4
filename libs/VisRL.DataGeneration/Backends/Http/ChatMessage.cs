using VisRL.Imaging;

namespace VisRL.DataGeneration.Backends.Http;

/// <summary>One part of a chat message: a text or an image (sent as a PNG data URL).</summary>
public sealed record ChatPart(string? Text, RgbImage? Image)
{
    public static ChatPart Of(string text) => new(text, null);
    public static ChatPart Of(RgbImage image) => new(null, image);
}

/// <summary>A chat message of the OpenAI chat-completions API: a role ("system", "user", "assistant") and its parts.</summary>
public sealed record ChatMessage(string Role, IReadOnlyList<ChatPart> Parts)
{
    public const string User = "user", Assistant = "assistant", System = "system";

    /// <summary>The text parts joined by a space.</summary>
    public string Text => string.Join(' ', Parts.Where(p => p.Text is not null).Select(p => p.Text));

    public IReadOnlyList<RgbImage> Images => [.. Parts.Where(p => p.Image is not null).Select(p => p.Image!)];
}
