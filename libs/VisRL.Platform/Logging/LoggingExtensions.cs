using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Serilog;
using Serilog.Core;
using Serilog.Events;
using Serilog.Formatting;
using Serilog.Formatting.Display;
using Serilog.Formatting.Json;
using VisRL.Platform.Configuration;
using VisRL.Platform.Hosting;

namespace VisRL.Platform.Logging;

public static class LoggingExtensions
{
    private const string ConsoleTemplate =
        "[{Timestamp:HH:mm:ss.fff} {Level:u3}] {Service}{Work} {SourceContext}: {Message:lj}{NewLine}{Exception}";
    // While the broker is away MassTransit logs each attempt to reach it, and each message a lost connection cut short,
    // every time with the same stack: one line says it (BrokerAwayEnricher).
    private const string BrokerAwayTemplate =
        "[{Timestamp:HH:mm:ss.fff} {Level:u3}] {Service}{Work} {SourceContext}: {Message:lj} ({BrokerAway}){NewLine}";

    /// <summary>Serilog to the console (and a JSON file when Log:JsonFile is set), with work ids in context.</summary>
    public static IHostApplicationBuilder AddVisRLLogging(this IHostApplicationBuilder builder)
    {
        builder.Services.AddVisRLSettings<LoggingOptions>(builder.Configuration);
        var options = builder.Configuration.GetVisRLSettings<LoggingOptions>();
        var service = builder.Configuration.GetVisRLSettings<ServiceOptions>().Name;
        var logger = CreateLogger(options, service);
        builder.Logging.ClearProviders();
        builder.Logging.AddSerilog(logger, dispose: true);
        return builder;
    }

    /// <param name="console">Where the console lines go; by default the console (warnings and above to stderr).</param>
    public static Serilog.ILogger CreateLogger(LoggingOptions options, string service, TextWriter? console = null)
    {
        if (!Enum.TryParse<LogEventLevel>(options.MinimumLevel, ignoreCase: true, out var level))
            throw new Microsoft.Extensions.Options.OptionsValidationException("Log", typeof(LoggingOptions),
                [$"Setting {SettingKey.Describe("Log:MinimumLevel")}: '{options.MinimumLevel}' is not a level (Verbose, Debug, Information, Warning, Error, Fatal)."]);

        var config = new LoggerConfiguration()
            .MinimumLevel.Is(level)
            // The frameworks are chatty at Information; their warnings still show.
            .MinimumLevel.Override("Microsoft", LogEventLevel.Warning)
            .MinimumLevel.Override("MassTransit", LogEventLevel.Warning)
            .MinimumLevel.Override("Azure", LogEventLevel.Warning)
            // The host would log a start-up failure with its stack; RunVisRLAsync reports it in one line.
            .Filter.ByExcluding(e => IsReportedStartupFailure(e.Exception))
            .Enrich.FromLogContext()
            .Enrich.WithProperty("Service", service)
            .Enrich.With<WorkContextEnricher>()
            .Enrich.With<BrokerAwayEnricher>()
            .WriteTo.Logger(all => WriteConsole(all.Filter.ByExcluding(BrokerAwayEnricher.IsBrokerAway).WriteTo, ConsoleTemplate, console))
            .WriteTo.Logger(away => WriteConsole(away.Filter.ByIncludingOnly(BrokerAwayEnricher.IsBrokerAway).WriteTo, BrokerAwayTemplate, console));
        if (!string.IsNullOrWhiteSpace(options.JsonFile))
            config = config.WriteTo.File(new JsonFormatter(renderMessage: true), options.JsonFile);
        return config.CreateLogger();
    }

    private static LoggerConfiguration WriteConsole(Serilog.Configuration.LoggerSinkConfiguration sink, string template, TextWriter? console) =>
        console is null
            ? sink.Console(outputTemplate: template, standardErrorFromLevel: LogEventLevel.Warning)
            : sink.Sink(new WriterSink(console, new MessageTemplateTextFormatter(template)));

    private sealed class WriterSink(TextWriter writer, ITextFormatter formatter) : ILogEventSink
    {
        public void Emit(LogEvent logEvent)
        {
            lock (writer) formatter.Format(logEvent, writer);
        }
    }

    private static bool IsReportedStartupFailure(Exception? e) =>
        e is DependencyUnavailableException or Microsoft.Extensions.Options.OptionsValidationException
        || e is AggregateException { InnerExceptions.Count: 1 } a && IsReportedStartupFailure(a.InnerExceptions[0]);
}
