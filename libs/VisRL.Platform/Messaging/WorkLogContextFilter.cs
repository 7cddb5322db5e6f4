using MassTransit;
using SerilogLogContext = Serilog.Context.LogContext;
using VisRL.Contracts.V1;

namespace VisRL.Platform.Messaging;

/// <summary>Puts RunId, IterationId and BatchId of the consumed message into every log line of its handling.</summary>
public sealed class WorkLogContextFilter<T> : IFilter<ConsumeContext<T>> where T : class
{
    public async Task Send(ConsumeContext<T> context, IPipe<ConsumeContext<T>> next)
    {
        if (context.Message is not IWorkMessage work)
        {
            await next.Send(context);
            return;
        }
        using var run = SerilogLogContext.PushProperty("RunId", work.RunId);
        using var iteration = SerilogLogContext.PushProperty("IterationId", work.IterationId);
        using var batch = SerilogLogContext.PushProperty("BatchId", (work as IBatchMessage)?.BatchId);
        await next.Send(context);
    }

    public void Probe(ProbeContext context) => context.CreateFilterScope("visrl-work-log-context");
}
