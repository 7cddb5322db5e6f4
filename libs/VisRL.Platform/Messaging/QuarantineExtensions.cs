using MassTransit;

namespace VisRL.Platform.Messaging;

public static class QuarantineExtensions
{
    /// <summary>
    /// Puts <paramref name="message"/> (the part of the work that cannot be done, e.g. a batch cut
    /// down to the items with a corrupt image) into this endpoint's _error queue with the reason,
    /// while the rest of the work goes on: nothing is dropped, and it can be inspected or moved back.
    /// </summary>
    public static async Task QuarantineAsync<T>(this ConsumeContext context, T message, string reason) where T : class
    {
        // "queue:" makes the transport declare the queue too (the plain address declares only an exchange).
        var errorQueue = new Uri($"queue:{context.ReceiveContext.InputAddress.AbsolutePath.Split('/')[^1]}_error");
        var endpoint = await context.GetSendEndpoint(errorQueue);
        await endpoint.Send(message, send =>
        {
            send.Headers.Set("MT-Fault-Message", reason);
            send.Headers.Set("VisRL-Quarantined", "true");
        }, context.CancellationToken);
    }
}
