using System.Text.Json;
using System.Text.Json.Nodes;

namespace VisRL.Imaging.Datasets;

/// <summary>Reads a JSON array file or a JSON-lines file as records, one failure per bad record.</summary>
internal static class JsonRecords
{
    public static IEnumerable<(int Index, JsonObject? Record, string? Error)> Read(string path)
    {
        if (!File.Exists(path)) throw new DatasetFormatException($"dataset file not found: {path}");
        string text = File.ReadAllText(path);
        int first = 0;
        while (first < text.Length && char.IsWhiteSpace(text[first])) first++;
        if (first < text.Length && text[first] == '[')
        {
            JsonArray array;
            try
            {
                array = JsonNode.Parse(text, documentOptions: new JsonDocumentOptions { AllowTrailingCommas = true })?.AsArray()
                    ?? throw new DatasetFormatException($"{path}: null JSON");
            }
            catch (JsonException e)
            {
                throw new DatasetFormatException($"{path}: bad JSON ({e.Message})", e);
            }
            for (int i = 0; i < array.Count; i++)
                yield return array[i] is JsonObject o ? (i, o, null) : (i, null, "bad JSON: record is not an object");
            yield break;
        }
        // JSON lines: each non-empty line is a record, so one bad line costs one row.
        var lines = text.Split('\n');
        int index = 0;
        foreach (var raw in lines)
        {
            string line = raw.Trim();
            if (line.Length == 0) continue;
            JsonObject? record = null;
            string? error = null;
            try
            {
                record = JsonNode.Parse(line) as JsonObject;
                if (record is null) error = "bad JSON: record is not an object";
            }
            catch (JsonException e)
            {
                error = $"bad JSON: {e.Message}";
            }
            yield return (index++, record, error);
        }
    }

    public static string? String(JsonObject o, string key) =>
        o.TryGetPropertyValue(key, out var node) && node is JsonValue v && v.TryGetValue(out string? s) ? s : null;

    /// <summary>A string field, or the first element of an array field.</summary>
    public static string? FirstString(JsonObject o, string key)
    {
        if (!o.TryGetPropertyValue(key, out var node) || node is null) return null;
        if (node is JsonValue v && v.TryGetValue(out string? s)) return s;
        if (node is JsonArray a && a.Count > 0 && a[0] is JsonValue f && f.TryGetValue(out string? t)) return t;
        return null;
    }

    public static JsonSerializerOptions WriteOptions { get; } = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
}
