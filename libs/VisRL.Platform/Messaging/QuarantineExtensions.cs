using System.Globalization;
using MassTransit;

namespace VisRL.Platform.Messaging;

public static class QuarantineExtensions
{
    /// <summary>
    /// Puts <paramref name="message"/> (the part of the work that cannot be done, e.g. a batch cut
    /// down to the items with a corrupt image) into this endpoint's _error queue with the reason,
    /// while the rest of the work goes on: nothing is dropped, and `visrl errors` shows it and moves it back.
    /// </summary>
    public static async Task QuarantineAsync<T>(this ConsumeContext context, T message, string reason) where T : class
    {
        // "queue:" makes the transport declare the queue too (the plain address declares only an exchange).
        var errorQueue = new Uri($"queue:{ErrorQueue.Names(context.InputQueue()).Error}");
        var endpoint = await context.GetSendEndpoint(errorQueue);
        await endpoint.Send(message, send =>
        {
            send.Headers.Set(ErrorQueue.ReasonHeader, reason);
            send.Headers.Set(ErrorQueue.QuarantinedHeader, "true");
            send.Headers.Set(ErrorQueue.TimestampHeader, DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture));
            // Which message (and which move-back of it) the part was cut from: `visrl errors retry` traces it to the message it moved.
            if (context.MessageId is { } cutFrom) send.Headers.Set(ErrorQueue.CutFromHeader, cutFrom.ToString());
            if (context.MovedBackAt() is { } movedBackAt) send.Headers.Set(ErrorQueue.CutFromMovedBackHeader, movedBackAt);
        }, context.CancellationToken);
    }

    /// <summary>The queue this message was consumed from.</summary>
    public static string InputQueue(this ConsumeContext context) => context.ReceiveContext.InputAddress.AbsolutePath.Split('/')[^1];

    /// <summary>
    /// Whether this message was moved back from its _error queue (`visrl errors retry`): the items an earlier
    /// delivery recorded as failed are then tried again instead of skipped.
    /// </summary>
    public static bool IsMovedBack(this ConsumeContext context) => context.MovedBackAt() is not null;

    /// <summary>When this message was moved back (<see cref="ErrorQueue.MovedBackHeader"/>): the same for each redelivery of one move-back.</summary>
    public static string? MovedBackAt(this ConsumeContext context) =>
        context.ReceiveContext.TransportHeaders.TryGetHeader(ErrorQueue.MovedBackHeader, out var value) ? value switch
        {
            null => null,
            byte[] bytes => System.Text.Encoding.UTF8.GetString(bytes), // AMQP carries strings as bytes
            _ => Convert.ToString(value, CultureInfo.InvariantCulture),
        } : null;
}
