using System.Net.Sockets;
using Azure;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;
using VisRL.Platform.Blobs;
using VisRL.Platform.Messaging;

namespace VisRL.Platform.Tests;

public class OutagesTests
{
    private static readonly NpgsqlException DatabaseDown =
        new("Failed to connect to 127.0.0.1:5432", new SocketException((int)SocketError.ConnectionRefused));

    public static TheoryData<Exception, string> ServersOutOfReach => new()
    {
        { DatabaseDown, "PostgreSQL: Failed to connect to 127.0.0.1:5432" },
        // EF's own retries gave up; the server is still the reason.
        { new RetryLimitExceededException("The maximum number of retries (5) was exceeded", DatabaseDown), "PostgreSQL: Failed to connect" },
        // A server gone silent (a network partition): the command timed out waiting for its reply.
        { new NpgsqlException("Exception while reading from stream", new TimeoutException("Timeout during reading attempt")), "PostgreSQL: Exception while reading" },
        // The Azure SDK's retries, each cut short by its network timeout: blob storage went silent.
        { new AggregateException("Retry failed after 6 tries.", Enumerable.Repeat(new TaskCanceledException(
            "The operation was cancelled because it exceeded the configured timeout of 0:00:02. Network timeout can be adjusted in ClientOptions.Retry.NetworkTimeout."), 6)),
            "blob storage: The operation was cancelled because it exceeded the configured timeout" },
        { new RequestFailedException(503, "Service Unavailable\nStatus: 503"), "blob storage: Service Unavailable" },
        { new RequestFailedException("Connection refused (127.0.0.1:10000)"), "blob storage: Connection refused" },
        // The Azure SDK's "Retry failed after 4 tries" wraps each try's failure.
        { new AggregateException("Retry failed after 4 tries.", new RequestFailedException(500, "Internal"), new RequestFailedException(0, "refused")), "blob storage: refused" },
        { new InvalidOperationException("checkpoint abc cannot be fetched", new RequestFailedException(502, "Bad Gateway")), "blob storage: Bad Gateway" },
    };

    [Theory]
    [MemberData(nameof(ServersOutOfReach))]
    public void AServerOutOfReachIsNamed(Exception error, string reason) =>
        Assert.StartsWith(reason, Outages.Reason(error));

    public static TheoryData<Exception> FailuresOfTheWork => new()
    {
        new InvalidOperationException("pair set 42 holds no pairs: there is nothing to learn from"),
        new ArgumentException("DPO settings: beta must be a positive number, not 0"),
        new BlobMissingException("checkpoints", "abc/model.bin"),
        new RequestFailedException(404, "The specified blob does not exist."),
        new RequestFailedException(403, "Server failed to authenticate the request."),
        new NpgsqlException("22P02: invalid input syntax for type uuid"), // no transient cause
        // A model endpoint's network errors are the HTTP backends' to judge (EndpointDown), not an outage of the stack.
        new HttpRequestException("Connection refused", new SocketException((int)SocketError.ConnectionRefused)),
        new TimeoutException("The operation timed out"),
        new TaskCanceledException("The operation was canceled."), // the work's own cancellation, not a silent server
        new AggregateException(new RequestFailedException(0, "refused"), new ArgumentException("bad")), // not every try an outage
        new OutageOutlastedException("PostgreSQL: refused (still out of reach after 600 s)", DatabaseDown), // waited out already
    };

    [Theory]
    [MemberData(nameof(FailuresOfTheWork))]
    public void AFailureOfTheWorkItselfIsNoOutage(Exception error) => Assert.Null(Outages.Reason(error));

    [Fact]
    public void ThePausesDoubleUpToHalfAMinuteAndFitInThePatience()
    {
        Assert.Equal([1, 2, 4, 8, 16, 30, 30], Outages.Pauses(TimeSpan.FromSeconds(100)).Select(p => p.TotalSeconds));
        Assert.Equal(91, Outages.Pauses(TimeSpan.FromSeconds(100)).Sum(p => p.TotalSeconds));
        Assert.Empty(Outages.Pauses(TimeSpan.Zero)); // no patience: an outage fails the work at once
    }

    [Fact]
    public async Task WorkThatMeetsAnOutageRunsAgainAfterEachPause_UntilItSucceeds()
    {
        var attempts = 0;
        var pauses = new List<(string Reason, TimeSpan Pause)>();
        var result = await Outages.WaitOutAsync(_ => ++attempts < 4 ? throw DatabaseDown : Task.FromResult("done"),
            TimeSpan.FromMinutes(1), (reason, pause) => { pauses.Add((reason, pause)); return Task.CompletedTask; },
            CancellationToken.None, firstPause: TimeSpan.FromMilliseconds(10));

        Assert.Equal(("done", 4), (result, attempts));
        Assert.Equal([10, 20, 40], pauses.Select(p => p.Pause.TotalMilliseconds)); // doubling
        Assert.All(pauses, p => Assert.StartsWith("PostgreSQL: ", p.Reason));
    }

    [Fact]
    public async Task AFailureOfTheWorkEndsItAtOnce()
    {
        var attempts = 0;
        var error = await Assert.ThrowsAsync<ArgumentException>(() => Outages.WaitOutAsync<int>(_ =>
        {
            attempts++;
            throw new ArgumentException("DPO settings: epochs must be > 0, not 0");
        }, TimeSpan.FromMinutes(1), (_, _) => Task.CompletedTask, CancellationToken.None, TimeSpan.FromMilliseconds(10)));
        Assert.Equal(1, attempts);
        Assert.Contains("epochs", error.Message);
    }

    [Fact]
    public async Task AnOutageLongerThanThePatienceEndsTheWorkNamingTheServer()
    {
        var attempts = 0;
        var error = await Assert.ThrowsAsync<OutageOutlastedException>(() => Outages.WaitOutAsync<int>(_ =>
        {
            attempts++;
            throw DatabaseDown;
        }, TimeSpan.FromMilliseconds(100), (_, _) => Task.CompletedTask, CancellationToken.None, TimeSpan.FromMilliseconds(20)));

        Assert.Equal(3, attempts); // pauses of 20 and 40 ms fit in 100 ms; 80 more would not
        Assert.StartsWith("PostgreSQL: Failed to connect to 127.0.0.1:5432 (still out of reach after", error.Message);
        Assert.Contains("Messaging:OutagePatienceSeconds", error.Message);
        Assert.Same(DatabaseDown, error.InnerException);
    }
}
