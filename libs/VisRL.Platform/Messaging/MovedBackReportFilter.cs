using MassTransit;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using VisRL.Contracts.V1;
using VisRL.Platform.Configuration;

namespace VisRL.Platform.Messaging;

/// <summary>
/// Publishes <see cref="MovedBackHandled"/> once a message moved back from its _error queue has been consumed to the
/// end, so that `visrl errors retry` can tell the user what became of each message it moved. Only success is
/// reported here: a consume that fails past its retries puts the message back in its _error queue, where the CLI sees it.
/// </summary>
public sealed class MovedBackReportFilter<T>(IOptions<ServiceOptions> service, ILogger<MovedBackReportFilter<T>> logger)
    : IFilter<ConsumeContext<T>> where T : class
{
    public async Task Send(ConsumeContext<T> context, IPipe<ConsumeContext<T>> next)
    {
        await next.Send(context);
        if (context.MovedBackAt() is not { } movedBackAt || context.MessageId is not { } messageId) return;
        var queue = context.InputQueue();
        try
        {
            await context.Publish(new MovedBackHandled(messageId, movedBackAt, queue, service.Value.Name, DateTimeOffset.UtcNow));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The work is done and stored; failing the consume now would only do it again. The CLI then says it has no report.
            logger.LogWarning(e, "The report that moved-back message {MessageId} was handled in {Queue} was not published", messageId, queue);
        }
    }

    public void Probe(ProbeContext context) => context.CreateFilterScope("visrl-moved-back-report");
}
