namespace VisRL.Platform.Messaging;

/// <summary>A message `visrl errors retry` moved back: its id, the stamp it went back with, and what it is.</summary>
public sealed record MovedMessage(string? MessageId, string MovedBackAt, string Type, string Fields);

/// <summary>A message in a parking queue (_error or _skipped), with the queue it is in.</summary>
public sealed record ParkedMessage(string Queue, FailedMessage Message);

/// <summary>
/// What became of a moved-back message, from what can be seen of it: whether its consumer reported it handled
/// (<see cref="MovedBackReportFilter{T}"/>), and what of it is parked again: the message itself (it failed past its
/// retries, or no consumer takes it: it keeps the stamp it went back with) or parts of it its consumer quarantined
/// (they name the message and the stamp they were cut from).
/// </summary>
public sealed record MoveBackOutcome(MovedMessage Message, bool Handled, IReadOnlyList<ParkedMessage> ParkedAgain)
{
    public static MoveBackOutcome Of(MovedMessage message, bool handled, IEnumerable<ParkedMessage> parked) =>
        new(message, handled, message.MessageId is null ? [] : [.. parked.Where(p => IsFrom(p.Message, message))]);

    private static bool IsFrom(FailedMessage parked, MovedMessage moved) =>
        parked.MessageId == moved.MessageId && parked.MovedBackAt == moved.MovedBackAt
        || parked.CutFrom is { } cut && cut.MessageId == moved.MessageId && cut.MovedBackAt == moved.MovedBackAt;

    /// <summary>Back in a parking queue whole.</summary>
    public bool FailedAgain => ParkedAgain.Any(p => p.Message.MessageId == Message.MessageId);

    /// <summary>Its fate is known: handled to the end, or parked again whole.</summary>
    public bool Settled => Handled || FailedAgain;

    /// <summary>Handled, and nothing of it parked again.</summary>
    public bool WentThrough => Handled && ParkedAgain.Count == 0;

    public string Describe()
    {
        if (!Settled) return "no report yet: still queued, or being worked on";
        var parked = ParkedAgain.Select(p => p.Message.MessageId == Message.MessageId ? $"back in {p.Queue}: {p.Message.Reason}"
            // A part with the message's own fields is all of it: a round that has moved on refuses a part whole.
            : p.Message.Fields == Message.Fields ? $"all of it is back in {p.Queue}: {p.Message.Reason}"
            : $"a part ({p.Message.Fields}) is back in {p.Queue}: {p.Message.Reason}");
        return string.Join("; ", (Handled ? ["handled"] : Array.Empty<string>()).Concat(parked));
    }
}
