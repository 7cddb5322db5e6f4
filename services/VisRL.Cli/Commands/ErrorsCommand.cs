using System.CommandLine;
using Spectre.Console;
using VisRL.Cli.Infrastructure;
using VisRL.Platform.Configuration;
using VisRL.Platform.Messaging;

namespace VisRL.Cli.Commands;

/// <summary>
/// `visrl errors [show|retry|purge]`: the work parked in the broker's _error queues (messages that failed past
/// their retries, and the parts of batches a service quarantined) and _skipped queues (messages no consumer of
/// their queue takes), why it is there, moving it back once the
/// cause is mended, and dropping it once inspected.
/// </summary>
internal static class ErrorsCommand
{
    public static Command Create()
    {
        var showQueue = QueueArgument();
        var showLimit = LimitOption("How many messages at most.", 20);
        var show = new Command("show", "Print the messages of an _error queue, oldest first, with their reasons; they stay in the queue.") { showQueue, showLimit };
        show.SetAction((parse, ct) => ShowAsync(parse.GetValue(showQueue)!, parse.GetValue(showLimit)!.Value, ct));

        var retryQueue = QueueArgument();
        var retryLimit = LimitOption("How many messages at most (default: all there are now).");
        var wait = new Option<int>("--wait")
        {
            Description = "Follow the moved messages for up to this many seconds and say what became of each: handled, handled with a part "
                + "quarantined again, or back in the queue with the reason; 0: do not follow.",
            DefaultValueFactory = _ => 60,
        };
        wait.Validators.Add(r => { if (r.GetValueOrDefault<int>() < 0) r.AddError("--wait must be ≥ 0"); });
        var retry = new Command("retry", "Move the messages of an _error queue back to the queue they failed on, oldest first, without their failure headers, "
            + "and follow them to their outcome.") { retryQueue, retryLimit, wait };
        retry.SetAction((parse, ct) => RetryAsync(parse.GetValue(retryQueue)!, parse.GetValue(retryLimit), parse.GetValue(wait), ct));

        var purgeQueue = QueueArgument();
        var yes = new Option<bool>("--yes") { Description = "Confirm: the messages are gone for good (their failures stay recorded in work_failures and batches.last_error)." };
        var purge = new Command("purge", "Drop every message of an _error queue, once inspected.") { purgeQueue, yes };
        purge.SetAction((parse, ct) => PurgeAsync(parse.GetValue(purgeQueue)!, parse.GetValue(yes), ct));

        var command = new Command("errors", "List the _error and _skipped queues that hold messages: failed work, quarantined batch parts, messages no consumer takes.") { show, retry, purge };
        command.SetAction((_, ct) => ListAsync(ct));
        return command;
    }

    private static Argument<string> QueueArgument() =>
        new("queue") { Description = "The queue (e.g. sampler-sample-batch, meaning its _error queue), its _error queue or its _skipped queue." };

    private static Option<int?> LimitOption(string description, int? byDefault = null)
    {
        var limit = new Option<int?>("--limit") { Description = description };
        if (byDefault is { } value) limit.DefaultValueFactory = _ => value;
        limit.Validators.Add(r => { if (r.GetValueOrDefault<int?>() < 1) r.AddError("--limit must be ≥ 1"); });
        return limit;
    }

    private static ErrorQueueBroker Broker() => new(CliSettings.Load().GetVisRLSettings<MessagingOptions>());

    internal static async Task<int> ListAsync(CancellationToken cancellationToken)
    {
        var queues = await Broker().ListAsync(cancellationToken);
        var holding = queues.Where(q => q.Messages > 0).ToList();
        if (holding.Count == 0)
        {
            AnsiConsole.MarkupLine($"[green]no failed messages[/] ({queues.Count} _error and _skipped queue(s), all empty)");
            return 0;
        }
        // Plain lines, not a table: a table piped to another program is cut to 80 columns, and queue names with it.
        foreach (var q in holding)
            Console.WriteLine($"{q.Queue}: {q.Messages} message(s); back to {q.Source}, which has {q.SourceConsumers} consumer(s)");
        AnsiConsole.MarkupLine("[grey]`visrl errors show QUEUE` prints why; `visrl errors retry QUEUE` moves them back once the cause is mended.[/]");
        return 0;
    }

    internal static async Task<int> ShowAsync(string queue, int limit, CancellationToken cancellationToken)
    {
        var messages = await Broker().PeekAsync(queue, limit, cancellationToken);
        var (error, _) = ErrorQueue.Names(queue);
        if (messages.Count == 0)
        {
            AnsiConsole.MarkupLine($"[green]{Markup.Escape(error)} is empty[/]");
            return 0;
        }
        // One block per message in plain lines, for the same reason: ids and reasons stay whole, ready to copy.
        AnsiConsole.MarkupLine($"[bold]{Markup.Escape(error)}[/]: {messages.Count} message(s) from its head, oldest first");
        foreach (var (m, i) in messages.Select((m, i) => (m, i + 1)))
        {
            var failed = m.Quarantined ? $"quarantined {m.FailedAt}" : $"failed {m.FailedAt ?? "(time not recorded)"} {m.ExceptionType}";
            var cutFrom = m.CutFrom is { } cut ? $" (cut from {cut.MessageId})" : "";
            Console.WriteLine($"#{i} {m.Type} {m.MessageId ?? "(no id)"} {failed.TrimEnd()}{cutFrom}");
            Console.WriteLine($"   reason: {m.Reason}");
            Console.WriteLine($"   fields: {m.Fields}");
        }
        return 0;
    }

    internal static async Task<int> RetryAsync(string queue, int? limit, int waitSeconds, CancellationToken cancellationToken)
    {
        var broker = Broker();
        await using var reports = await broker.ListenForReportsAsync(cancellationToken);
        var moveBack = await broker.MoveBackAsync(queue, limit, cancellationToken);
        var (from, to) = (Markup.Escape(moveBack.From), Markup.Escape(moveBack.To));
        AnsiConsole.MarkupLine($"moved {moveBack.Moved.Count} message(s) from {from} back to {to}");
        if (moveBack.Moved.Count == 0) return 0;
        if (moveBack.Consumers == 0)
            AnsiConsole.MarkupLine($"[yellow]nothing consumes {to} now: they wait there until its service runs[/]");
        AnsiConsole.MarkupLine($"[grey]a part of a batch joins its round only while the round samples and scores; one whose round has moved on comes back here with the reason (`visrl errors show {Markup.Escape(queue)}`)[/]");
        if (waitSeconds == 0 || moveBack.Consumers == 0) return 0;

        var outcomes = await broker.FollowAsync(moveBack, reports, TimeSpan.FromSeconds(waitSeconds), cancellationToken);
        // Plain lines, as `show` prints them: ids and reasons stay whole.
        foreach (var o in outcomes)
            Console.WriteLine($"{o.Message.Type} {o.Message.MessageId ?? "(no id)"} ({o.Message.Fields}): {o.Describe()}");
        var through = outcomes.Count(o => o.WentThrough);
        if (through == outcomes.Count)
        {
            AnsiConsole.MarkupLine($"[green]all {through} handled[/]");
            return 0;
        }
        var parts = outcomes.Count(o => o.Handled && !o.WentThrough);
        var back = outcomes.Count(o => o.FailedAgain);
        var open = outcomes.Count(o => !o.Settled);
        throw new InvalidOperationException($"{outcomes.Count - through} of {outcomes.Count} moved message(s) did not go through, {through} did: " + string.Join(", ", new[]
        {
            parts > 0 ? $"{parts} handled with a part or all of it back in {ErrorQueue.Names(moveBack.To).Error}" : null,
            back > 0 ? $"{back} back whole" : null,
            open > 0 ? $"{open} not reported handled within {waitSeconds} s (see `visrl errors` later; a service older than this CLI does not report)" : null,
        }.OfType<string>()));
    }

    internal static async Task<int> PurgeAsync(string queue, bool confirmed, CancellationToken cancellationToken)
    {
        var (error, _) = ErrorQueue.Names(queue);
        if (!confirmed)
            throw new ArgumentException($"purge drops every message of {error} for good; add --yes (`visrl errors show {queue}` prints them first)");
        var dropped = await Broker().PurgeAsync(queue, cancellationToken);
        AnsiConsole.MarkupLine($"dropped {dropped} message(s) from {Markup.Escape(error)}");
        return 0;
    }
}
