using System.Reflection;
using Microsoft.EntityFrameworkCore.Storage;

namespace VisRL.Cli.Infrastructure;

/// <summary>
/// What the CLI prints for an exception no command handled: one line <c>error: …</c> on stderr and
/// exit code 1; the stack trace too only with VISRL_DEBUG=1. A bad file, an unknown checkpoint or a
/// server that is down is the user's to fix, and a trace would bury the one line that says how.
/// </summary>
internal static class CliErrors
{
    public const string DebugVariable = "VISRL_DEBUG";
    public const int ExitCode = 1;

    public static bool DebugRequested => Environment.GetEnvironmentVariable(DebugVariable) is "1" or "true";

    public static int Report(Exception exception, TextWriter error, bool debug)
    {
        error.WriteLine($"error: {Describe(exception)}");
        if (debug) error.WriteLine(exception);
        return ExitCode;
    }

    /// <summary>
    /// One line: the exception's message, then each inner message it does not already contain.
    /// Wrappers (a retry limit, a type initializer, an aggregate) are skipped for their inner
    /// exceptions: their own message says only "see the inner exception".
    /// </summary>
    public static string Describe(Exception exception)
    {
        var parts = new List<string>();
        Collect(exception, parts, depth: 0);
        return parts.Count > 0 ? string.Join(": ", parts) : exception.GetType().Name;
    }

    private static void Collect(Exception exception, List<string> parts, int depth)
    {
        if (depth > 8) return;
        if (exception is AggregateException aggregate)
        {
            var inner = aggregate.Flatten().InnerExceptions;
            if (inner.Count == 1) Collect(inner[0], parts, depth + 1);
            else if (inner.Count > 1) Add(parts, string.Join("; ", inner.Select(Describe).Distinct()));
            return;
        }
        if (IsWrapper(exception) && exception.InnerException is { } wrapped)
        {
            Collect(wrapped, parts, depth + 1);
            return;
        }
        Add(parts, Prefix(exception) + MessageOf(exception));
        if (exception.InnerException is { } next) Collect(next, parts, depth + 1);
    }

    private static bool IsWrapper(Exception exception) =>
        exception is RetryLimitExceededException or TypeInitializationException or TargetInvocationException;

    /// <summary>Which server a driver's exception is about, where its message does not say.</summary>
    private static string Prefix(Exception exception) => exception switch
    {
        Npgsql.NpgsqlException => "PostgreSQL: ",
        Azure.RequestFailedException => "blob storage: ",
        _ => "",
    };

    /// <summary>The first line: Azure's messages go on with status, headers and content.</summary>
    private static string MessageOf(Exception exception)
    {
        var message = exception.Message.Trim();
        var end = message.IndexOfAny(['\r', '\n']);
        if (end >= 0) message = message[..end].TrimEnd();
        if (exception is Azure.RequestFailedException { Status: > 0 } failed)
            message += $" (status {failed.Status}{(string.IsNullOrEmpty(failed.ErrorCode) ? "" : $", {failed.ErrorCode}")})";
        return message;
    }

    /// <summary>Adds a message unless an earlier one already says it (a JSON error repeats its reader's first sentence).</summary>
    private static void Add(List<string> parts, string message)
    {
        if (message.Length == 0) return;
        var sentenceEnd = message.IndexOf(". ", StringComparison.Ordinal);
        var said = sentenceEnd > 0 ? message[..(sentenceEnd + 1)] : message;
        if (parts.Any(p => p.Contains(said, StringComparison.Ordinal))) return;
        parts.Add(message);
    }
}
