using MassTransit;
using Microsoft.Extensions.Logging;

namespace VisRL.Platform.Messaging;

/// <summary>
/// Says, one line per pause, that a consume waits out an outage of PostgreSQL or blob storage (the outer
/// retry of the bus policy), and when it went on. EF Core's own logs of the failed connections are at
/// Debug (UseVisRLDatabase), so these lines are what an operator reads of an outage.
/// </summary>
public sealed class OutageRetryObserver(ILogger logger) : IRetryObserver
{
    public Task PostCreate<T>(RetryPolicyContext<T> context) where T : class, PipeContext => Task.CompletedTask;

    public Task PostFault<T>(RetryContext<T> context) where T : class, PipeContext
    {
        if (Outages.Reason(context.Exception) is { } reason)
            logger.LogWarning("{Queue}: waits for {Reason}; tries again in {Pause} s (pause {Pauses})",
                Queue(context.Context), reason, context.Delay?.TotalSeconds, context.RetryAttempt);
        return Task.CompletedTask;
    }

    public Task PreRetry<T>(RetryContext<T> context) where T : class, PipeContext => Task.CompletedTask;

    public Task RetryFault<T>(RetryContext<T> context) where T : class, PipeContext => Task.CompletedTask;

    public Task RetryComplete<T>(RetryContext<T> context) where T : class, PipeContext
    {
        if (Outages.Reason(context.Exception) is not null)
            logger.LogInformation("{Queue}: went on after {Pauses} pause(s) for an outage", Queue(context.Context), context.RetryAttempt);
        return Task.CompletedTask;
    }

    private static string Queue(PipeContext context) =>
        context is ConsumeContext consume ? consume.ReceiveContext.InputAddress?.AbsolutePath.TrimStart('/') ?? "a consumer" : "a consumer";
}
