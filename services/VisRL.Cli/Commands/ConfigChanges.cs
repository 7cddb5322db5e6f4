using System.Text.Json;
using System.Text.Json.Nodes;

namespace VisRL.Cli.Commands;

/// <summary>`visrl run retry --config FILE --set PATH=VALUE …` as one JSON object of config changes (null: none asked).</summary>
internal static class ConfigChanges
{
    /// <exception cref="ArgumentException">A file that is missing or holds no JSON object, or a --set without PATH=VALUE.</exception>
    public static JsonObject? From(string? file, IReadOnlyList<string> sets)
    {
        if (file is null && sets.Count == 0) return null;
        var changes = file is null ? [] : RoundCommand.BuildConfig(file, noBoxCritic: false, noDiversity: false);
        foreach (var set in sets)
        {
            var equals = set.IndexOf('=');
            var path = equals > 0 ? set[..equals].Trim().Split('.') : [];
            if (path.Length == 0 || path.Any(string.IsNullOrWhiteSpace))
                throw new ArgumentException($"--set '{set}': give PATH=VALUE, e.g. thresholds.minBox=0.3");
            var section = changes;
            foreach (var name in path[..^1])
                section = section[name] as JsonObject ?? (JsonObject)(section[name] = new JsonObject());
            section[path[^1]] = Value(set[(equals + 1)..]);
        }
        return changes;
    }

    /// <summary>JSON where the text is JSON (0.3, true, null, {"…"}), else the text itself (a dataset's name).</summary>
    private static JsonNode? Value(string text)
    {
        try { return JsonNode.Parse(text); }
        catch (JsonException) { return JsonValue.Create(text.Trim()); }
    }
}
