using System.Net.Sockets;
using Microsoft.EntityFrameworkCore.Storage;
using VisRL.Cli.Infrastructure;

namespace VisRL.Platform.Tests;

/// <summary>An exception no command handles is one line on stderr, with what its wrappers only point at.</summary>
public class CliErrorsTests
{
    [Fact]
    public void ARetryLimitIsDescribedByTheFailureItGaveUpOn()
    {
        var failure = new Npgsql.NpgsqlException("Failed to connect to 127.0.0.1:1", new SocketException((int)SocketError.ConnectionRefused));
        var error = CliErrors.Describe(new RetryLimitExceededException("The maximum number of retries (6) was exceeded. See the inner exception.", failure));
        Assert.Equal($"PostgreSQL: Failed to connect to 127.0.0.1:1: {new SocketException((int)SocketError.ConnectionRefused).Message}", error);
    }

    [Fact]
    public void ATypeInitializerSaysWhatItsInitializerThrew()
    {
        var error = CliErrors.Describe(new TypeInitializationException("VisRL.Cli.Infrastructure.Repository",
            new InvalidOperationException("Cannot find the VisRL.Workflow repository")));
        Assert.Equal("Cannot find the VisRL.Workflow repository", error);
    }

    [Fact]
    public void AnAggregateListsEachDistinctInnerMessage()
    {
        var error = CliErrors.Describe(new AggregateException("Retry failed after 4 tries.",
            new HttpRequestException("Connection refused (127.0.0.1:10000)"), new HttpRequestException("Connection refused (127.0.0.1:10000)"),
            new TimeoutException("timed out")));
        Assert.Equal("Connection refused (127.0.0.1:10000); timed out", error);
    }

    [Fact]
    public void AnInnerMessageTheOuterOneRepeatsIsSaidOnce()
    {
        var inner = new FormatException("'b' is an invalid start of a property name. Expected a '\"'. LineNumber: 0.");
        var error = CliErrors.Describe(new System.Text.Json.JsonException("'b' is an invalid start of a property name. Expected a '\"'. Path: $ | LineNumber: 0.", inner));
        Assert.Equal(1, error.Split("invalid start").Length - 1);
    }

    [Fact]
    public void AMultiLineMessageKeepsItsFirstLineAndTheStatus()
    {
        var error = CliErrors.Describe(new Azure.RequestFailedException(404, "Service request failed.\nStatus: 404 (Not Found)\nHeaders:\nx-ms-request-id: 1", "ContainerNotFound", null));
        Assert.Equal("blob storage: Service request failed. (status 404, ContainerNotFound)", error);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TheReportIsOneLineAndTheTraceOnlyInDebug(bool debug)
    {
        Exception thrown;
        try { throw new KeyNotFoundException("no checkpoint matches 'abc'"); }
        catch (Exception e) { thrown = e; }
        var error = new StringWriter();
        Assert.Equal(1, CliErrors.Report(thrown, error, debug));
        var lines = error.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("error: no checkpoint matches 'abc'", lines[0].TrimEnd());
        Assert.Equal(debug, lines.Length > 1);
        Assert.Equal(debug, error.ToString().Contains(nameof(TheReportIsOneLineAndTheTraceOnlyInDebug)));
    }

    [Fact]
    public async Task ACommandsUncaughtExceptionBecomesOneErrorLineAndExitCode1()
    {
        var missing = Path.Combine(Path.GetTempPath(), $"missing-{Guid.NewGuid():N}.json");
        var error = new StringWriter();
        var exitCode = await CliApp.InvokeAsync(["train", "base", "--dataset", "d", "--config", missing], error, debug: false);
        Assert.Equal(1, exitCode);
        Assert.Equal($"error: Could not find file '{missing}'.", error.ToString().TrimEnd());
    }
}
