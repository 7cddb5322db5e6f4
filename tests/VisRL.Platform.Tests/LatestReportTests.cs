using VisRL.Platform.Messaging;

namespace VisRL.Platform.Tests;

public class LatestReportTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task AReportNeverWaitsForASend_AndWhileOneIsInFlightOnlyTheNewestWaitsBehindIt()
    {
        var sent = new List<string>();
        var gate = new TaskCompletionSource();
        var lastSent = new TaskCompletionSource();
        var reports = new LatestReport<string>(async report =>
        {
            lock (sent) sent.Add(report);
            if (report == "step 1") await gate.Task; // a broker out of reach
            if (report == "step 4") lastSent.SetResult();
        }, (_, e) => throw e);

        reports.Report("step 1");
        await WaitUntilAsync(() => { lock (sent) return sent.Count == 1; });
        reports.Report("step 2"); // returns at once, though "step 1" is still being sent
        reports.Report("step 3");
        reports.Report("step 4");
        lock (sent) Assert.Equal(["step 1"], sent);

        gate.SetResult();
        await lastSent.Task.WaitAsync(Patience);
        lock (sent) Assert.Equal(["step 1", "step 4"], sent);
    }

    [Fact]
    public async Task AFailedSendIsReported_AndTheNextReportIsSentAsUsual()
    {
        var failures = new List<(string, string)>();
        var sent = new TaskCompletionSource<string>();
        var reports = new LatestReport<string>(
            report => report == "bad" ? Task.FromException(new InvalidOperationException("broker: connection refused")) : Task.FromResult(sent.TrySetResult(report)),
            (report, e) => { lock (failures) failures.Add((report, e.Message)); });

        reports.Report("bad");
        await WaitUntilAsync(() => { lock (failures) return failures.Count == 1; });
        reports.Report("good");

        Assert.Equal("good", await sent.Task.WaitAsync(Patience));
        Assert.Equal([("bad", "broker: connection refused")], failures);
    }

    [Fact]
    public async Task StopDropsTheReportWaitingBehindTheOneInFlight()
    {
        var sent = new List<string>();
        var gate = new TaskCompletionSource();
        var reports = new LatestReport<string>(async report =>
        {
            lock (sent) sent.Add(report);
            await gate.Task;
        }, (_, e) => throw e);

        reports.Report("step 1");
        await WaitUntilAsync(() => { lock (sent) return sent.Count == 1; });
        reports.Report("step 2");
        reports.Stop();
        gate.SetResult();
        reports.Report("after"); // a report made after Stop is sent: Stop drops only what waits
        await WaitUntilAsync(() => { lock (sent) return sent.Count == 2; });
        lock (sent) Assert.Equal(["step 1", "after"], sent);
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var until = DateTime.UtcNow + Patience;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < until, "timed out");
            await Task.Delay(10);
        }
    }
}
