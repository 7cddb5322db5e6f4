using System.Diagnostics;
using Azure;
using Npgsql;
using VisRL.Platform.Hosting;

namespace VisRL.Platform.Messaging;

/// <summary>
/// Tells a server of the stack being out of reach (PostgreSQL, blob storage) from a failure of the
/// work itself, and lets long work wait an outage out: a Trainer job that loses its database for a
/// minute goes on from its last checkpoint when it is back, instead of failing for good.
/// </summary>
public static class Outages
{
    private static readonly TimeSpan LongestPause = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Which server is out of reach and why ("PostgreSQL: Failed to connect to 127.0.0.1:5432"),
    /// when <paramref name="error"/> or one it wraps says so; null for anything retrying cannot fix.
    /// </summary>
    public static string? Reason(Exception error)
    {
        for (var e = error; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case OutageOutlastedException: // waited out already, in vain
                    return null;
                // The Azure SDK wraps the failures of its own retries; an outage only if every one was.
                case AggregateException aggregate:
                    var reasons = aggregate.InnerExceptions.Select(Reason).ToList();
                    return reasons.Count > 0 && reasons.All(r => r is not null) ? reasons[^1] : null;
                case NpgsqlException { IsTransient: true }:
                    return $"PostgreSQL: {FirstLine(e.Message)}";
                case RequestFailedException blob when blob.Status is 0 or 408 or 429 or >= 500:
                    return $"blob storage: {FirstLine(e.Message)}";
                // The Azure SDK's own timeout: the store sent nothing for Blobs:NetworkTimeoutSeconds (a silent network).
                case TaskCanceledException when e.Message.Contains("ClientOptions.Retry.NetworkTimeout", StringComparison.Ordinal):
                    return $"blob storage: {FirstLine(e.Message)}";
                case DependencyUnavailableException:
                    return e.Message;
                // A model endpoint's network errors are not here: the HTTP backends judge those (EndpointDown).
            }
        }
        return null;
    }

    /// <summary>The pauses between tries while an outage lasts: 1 s, doubling up to 30 s, as many as fit in <paramref name="patience"/>.</summary>
    public static IEnumerable<TimeSpan> Pauses(TimeSpan patience, TimeSpan? firstPause = null)
    {
        var (pause, total) = (firstPause ?? TimeSpan.FromSeconds(1), TimeSpan.Zero);
        while (total + pause <= patience)
        {
            yield return pause;
            total += pause;
            pause = TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, LongestPause.Ticks));
        }
    }

    /// <summary>
    /// Runs <paramref name="work"/> until it succeeds or fails for a reason other than an outage.
    /// After an outage it pauses (<see cref="Pauses"/>; <paramref name="onPause"/> hears of each) and
    /// runs the work again, which must therefore be resumable. An outage that outlasts the pauses ends
    /// it with an <see cref="OutageOutlastedException"/>. Work that ran for longer than the longest
    /// pause before it failed again has met a new outage, with all the pauses again.
    /// </summary>
    public static async Task<T> WaitOutAsync<T>(Func<CancellationToken, Task<T>> work, TimeSpan patience,
        Func<string, TimeSpan, Task> onPause, CancellationToken cancellationToken, TimeSpan? firstPause = null)
    {
        Stopwatch? outage = null;
        IEnumerator<TimeSpan>? pauses = null;
        while (true)
        {
            var attempt = Stopwatch.StartNew();
            try
            {
                return await work(cancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException && Reason(e) is { } reason)
            {
                if (pauses is null || attempt.Elapsed > LongestPause)
                    (outage, pauses) = (Stopwatch.StartNew(), Pauses(patience, firstPause).GetEnumerator());
                if (!pauses.MoveNext())
                    throw new OutageOutlastedException($"{reason} (still out of reach after {outage!.Elapsed.TotalSeconds:0} s, " +
                        $"longer than Messaging:OutagePatienceSeconds = {patience.TotalSeconds:0})", e);
                await onPause(reason, pauses.Current);
                await Task.Delay(pauses.Current, cancellationToken);
            }
        }
    }

    private static string FirstLine(string message) => message.Split('\n', 2)[0].Trim();
}

/// <summary>A server stayed out of reach for longer than the work would wait; the message names it.</summary>
public sealed class OutageOutlastedException(string message, Exception inner) : Exception(message, inner);
