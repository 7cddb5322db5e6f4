using System.Globalization;
using System.Text;
using System.Text.Json;

namespace VisRL.Platform.Messaging;

/// <summary>A message parked in an _error queue, as <c>visrl errors show</c> prints it.</summary>
/// <param name="Fields">The message's own fields in one line (<c>batchId=… attempt=2 itemIds=[3]</c>).</param>
/// <param name="MovedBackAt">The move-back it failed after, if it was moved back before (a failure keeps the message's headers).</param>
/// <param name="CutFrom">For a quarantined part: the message it was cut from.</param>
public sealed record FailedMessage(string? MessageId, string Type, string Reason, string? ExceptionType, string? FailedAt, bool Quarantined, string Fields,
    string? MovedBackAt = null, CutFrom? CutFrom = null);

/// <summary>The message a quarantined part was cut from, and that message's move-back stamp if it had been moved back.</summary>
public sealed record CutFrom(string MessageId, string? MovedBackAt);

/// <summary>
/// What lands in a queue's _error queue, and how it goes back: a message that failed past its retries
/// (MassTransit's fault headers say why) or the part of a batch a service quarantined (<see cref="QuarantineExtensions"/>).
/// MassTransit's _skipped queue, where a message no consumer of its queue takes waits, is read and moved back alike.
/// </summary>
public static class ErrorQueue
{
    public const string Suffix = "_error", SkippedSuffix = "_skipped";
    public const string ReasonHeader = "MT-Fault-Message", TimestampHeader = "MT-Fault-Timestamp";
    private const string ExceptionTypeHeader = "MT-Fault-ExceptionType";
    public const string QuarantinedHeader = "VisRL-Quarantined";
    /// <summary>Set on a message moved back from its _error queue (when, in UTC): a consumer tries its failed items again.</summary>
    public const string MovedBackHeader = "VisRL-Moved-Back";
    /// <summary>Set on a quarantined part: the id of the message it was cut from, and that message's <see cref="MovedBackHeader"/>.</summary>
    public const string CutFromHeader = "VisRL-Cut-From", CutFromMovedBackHeader = "VisRL-Cut-From-Moved-Back";
    private const int LongestValue = 40;

    /// <summary>An _error or _skipped queue.</summary>
    public static bool IsErrorQueue(string name) => SuffixOf(name) is not null;

    /// <summary>The error (or skipped) queue and the queue it belongs to, from either name; a queue's own name means its _error queue.</summary>
    public static (string Error, string Source) Names(string queue)
    {
        if (string.IsNullOrWhiteSpace(queue)) throw new ArgumentException("a queue name is needed");
        return SuffixOf(queue) is { } suffix ? (queue, queue[..^suffix.Length]) : (queue + Suffix, queue);
    }

    private static readonly string[] Suffixes = [Suffix, SkippedSuffix];

    private static string? SuffixOf(string name) =>
        Suffixes.FirstOrDefault(s => name.Length > s.Length && name.EndsWith(s, StringComparison.Ordinal));

    /// <summary>Reads a parked message. A body that is not a MassTransit envelope is still described, never refused.</summary>
    public static FailedMessage Describe(string? messageId, IDictionary<string, object?>? headers, ReadOnlySpan<byte> body)
    {
        var reason = Header(headers, ReasonHeader)
            ?? (Header(headers, "MT-Reason") == "skip" ? "skipped: no consumer of its queue takes this message type" : "(no reason recorded)");
        var quarantined = Header(headers, QuarantinedHeader) is "true" or "True";
        var (type, fields) = ReadEnvelope(body);
        var cutFrom = Header(headers, CutFromHeader) is { } source ? new CutFrom(source, Header(headers, CutFromMovedBackHeader)) : null;
        return new FailedMessage(messageId, type, reason, Header(headers, ExceptionTypeHeader), Header(headers, TimestampHeader), quarantined, fields,
            Header(headers, MovedBackHeader), cutFrom);
    }

    /// <summary>
    /// The headers a message goes back with: the failure's own (MT-Fault-*, MT-Reason, <see cref="QuarantinedHeader"/>)
    /// are dropped, so a second failure records its reason afresh; <see cref="MovedBackHeader"/> is set; every other header stays.
    /// </summary>
    public static Dictionary<string, object?> HeadersForRetry(IDictionary<string, object?>? headers, DateTimeOffset now)
    {
        var kept = (headers ?? new Dictionary<string, object?>())
            .Where(h => !h.Key.StartsWith("MT-Fault-", StringComparison.Ordinal) && h.Key is not ("MT-Reason" or QuarantinedHeader))
            .ToDictionary(h => h.Key, h => h.Value);
        kept[MovedBackHeader] = now.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);
        return kept;
    }

    /// <summary>A header as text: AMQP carries strings as bytes.</summary>
    private static string? Header(IDictionary<string, object?>? headers, string name) =>
        headers is not null && headers.TryGetValue(name, out var value) ? value switch
        {
            null => null,
            byte[] bytes => Encoding.UTF8.GetString(bytes),
            IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
            _ => value.ToString(),
        } : null;

    private static (string Type, string Fields) ReadEnvelope(ReadOnlySpan<byte> body)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body.ToArray());
        }
        catch (JsonException)
        {
            return ("(not JSON)", $"{body.Length} bytes");
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("message", out var message))
                return ("(not a MassTransit envelope)", Shorten(root.GetRawText()));
            var type = root.TryGetProperty("messageType", out var types) && types.ValueKind == JsonValueKind.Array && types.GetArrayLength() > 0
                ? (types[0].GetString() ?? "?").Split(':')[^1]
                : "?";
            return (type, message.ValueKind == JsonValueKind.Object
                ? string.Join(" ", message.EnumerateObject().Select(p => $"{p.Name}={Summarize(p.Value)}"))
                : Summarize(message));
        }
    }

    /// <summary>Scalars as they are (long ones cut), arrays by their length, objects by their field names.</summary>
    private static string Summarize(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Array => $"[{value.GetArrayLength()}]",
        JsonValueKind.Object => Shorten($"{{{string.Join(",", value.EnumerateObject().Select(p => p.Name))}}}"),
        JsonValueKind.String => Shorten(value.GetString()!),
        _ => value.GetRawText(),
    };

    private static string Shorten(string text) => text.Length <= LongestValue ? text : text[..(LongestValue - 1)] + "…";
}
