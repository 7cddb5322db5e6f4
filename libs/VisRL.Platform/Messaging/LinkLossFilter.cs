using MassTransit;
using Microsoft.Extensions.Logging;

namespace VisRL.Platform.Messaging;

/// <summary>
/// Stops waiting for a consume that its broker channel has outlived by <paramref name="grace"/>, so that the
/// queue's consumer can start again once the broker is back.
/// </summary>
/// <remarks>
/// When the channel a message came on closes, MassTransit cancels the message's consume token and waits for its
/// consume to end before it consumes again. A consume that is waiting on the broker itself may never end: the
/// RabbitMQ client (7.1) can lose the confirm of a publish in flight as the connection drops, and the publish
/// then waits forever, whatever its token, and with it the queue (an Orchestrator's round stood still for good).
/// The message cannot be acknowledged on a closed channel anyway, so the broker delivers it again; the consume
/// left behind goes on unawaited, and its work, if any, is idempotent like every redelivered message's.
/// </remarks>
public sealed class LinkLossFilter(TimeSpan grace, ILogger logger) : IFilter<ConsumeContext>
{
    public async Task Send(ConsumeContext context, IPipe<ConsumeContext> next)
    {
        var consume = next.Send(context);
        if (consume.IsCompleted || !context.CancellationToken.CanBeCanceled)
        {
            await consume;
            return;
        }
        using var graceOver = new CancellationTokenSource();
        await using (context.CancellationToken.Register(() => graceOver.CancelAfter(grace)))
        {
            try
            {
                await consume.WaitAsync(graceOver.Token);
                return;
            }
            catch (OperationCanceledException) when (graceOver.IsCancellationRequested) { }
        }
        if (consume.IsCompleted)
        {
            await consume;
            return;
        }
        logger.LogWarning("{Queue}: stopped waiting for {MessageType} {MessageId}, still being handled {Grace} s after its broker channel closed; "
            + "the broker delivers it again", context.ReceiveContext.InputAddress.AbsolutePath.Trim('/'),
            context.SupportedMessageTypes.FirstOrDefault()?.Split(':')[^1], context.MessageId, grace.TotalSeconds);
        // Observed, so that a fault of the consume left behind is not raised as an unobserved task exception.
        _ = consume.ContinueWith(static t => t.Exception, TaskContinuationOptions.OnlyOnFaulted);
        throw new OperationCanceledException("the broker channel closed under the consume", context.CancellationToken);
    }

    public void Probe(ProbeContext context) => context.CreateFilterScope("visrl-link-loss");
}
