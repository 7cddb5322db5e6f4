using Serilog.Core;
using Serilog.Events;

namespace VisRL.Platform.Logging;

/// <summary>
/// Folds RunId/IterationId/BatchId (when present) into one short "Work" property for the console,
/// e.g. " run=1a2b3c4d it=5e6f7a8b batch=9c0d1e2f"; the JSON file keeps the full ids.
/// </summary>
internal sealed class WorkContextEnricher : ILogEventEnricher
{
    private static readonly (string Property, string Label)[] Ids = [("RunId", "run"), ("IterationId", "it"), ("BatchId", "batch")];

    public void Enrich(LogEvent logEvent, ILogEventPropertyFactory propertyFactory)
    {
        var parts = new List<string>(3);
        foreach (var (property, label) in Ids)
        {
            if (logEvent.Properties.TryGetValue(property, out var value) && value is ScalarValue { Value: not null } scalar)
                parts.Add($"{label}={Short(scalar.Value)}");
        }
        var work = parts.Count == 0 ? "" : " " + string.Join(' ', parts);
        logEvent.AddPropertyIfAbsent(propertyFactory.CreateProperty("Work", work));
    }

    private static string Short(object value) => value is Guid g ? g.ToString("N")[..8] : value.ToString() ?? "";
}
