namespace VisRL.Platform.Messaging;

/// <summary>
/// Progress reports for watchers, sent off the reporting thread, newest first: a report made while the
/// previous one is still being sent replaces any report waiting behind it. So a slow or unreachable
/// broker never holds back the work that reports (a training step waits for no publish), and once the
/// broker is back watchers get the latest state, not a backlog. A report that cannot be sent goes to
/// <paramref name="onFailure"/> and the next one is tried as usual.
/// </summary>
public sealed class LatestReport<T>(Func<T, Task> send, Action<T, Exception> onFailure) where T : class
{
    private readonly Lock _lock = new();
    private T? _waiting;
    private bool _sending;

    /// <summary>Sends the report: now when nothing is being sent, else after the send in flight, unless a newer report comes first.</summary>
    public void Report(T report)
    {
        lock (_lock)
        {
            _waiting = report;
            if (_sending) return;
            _sending = true;
        }
        _ = Task.Run(SendAllAsync);
    }

    /// <summary>Drops a report still waiting (its work is over; what follows supersedes it). One in flight is left to finish or fail.</summary>
    public void Stop()
    {
        lock (_lock) _waiting = null;
    }

    private async Task SendAllAsync()
    {
        while (true)
        {
            T report;
            lock (_lock)
            {
                if (_waiting is null) { _sending = false; return; }
                report = _waiting;
                _waiting = null;
            }
            try { await send(report); }
            catch (Exception e) { onFailure(report, e); }
        }
    }
}
