using System.Text.Json;
using System.Text.Json.Nodes;

namespace VisRL.Imaging.Datasets;

/// <summary>Reads a JSON array file or a JSON-lines file as records, one failure per bad record.</summary>
internal static class JsonRecords
{
    // A duplicate key is an error of its record here: JsonNode would only throw when the object is first read, a
    // plain ArgumentException that names no row and would stop the whole import.
    private static readonly JsonDocumentOptions RecordOptions = new() { AllowDuplicateProperties = false };

    public static IEnumerable<(int Index, JsonObject? Record, string? Error)> Read(string path)
    {
        if (!File.Exists(path)) throw new DatasetFormatException($"dataset file not found: {path}");
        string text = File.ReadAllText(path);
        int first = 0;
        while (first < text.Length && char.IsWhiteSpace(text[first])) first++;
        if (first < text.Length && text[first] == '[')
        {
            JsonDocument array;
            try
            {
                array = JsonDocument.Parse(text, new JsonDocumentOptions { AllowTrailingCommas = true });
            }
            catch (JsonException e)
            {
                throw new DatasetFormatException($"{path}: bad JSON ({e.Message})", e);
            }
            using (array)
            {
                int i = 0;
                foreach (var element in array.RootElement.EnumerateArray())
                {
                    var (record, error) = Parse(element.GetRawText());
                    yield return (i++, record, error);
                }
            }
            yield break;
        }
        // JSON lines: each non-empty line is a record, so one bad line costs one row.
        int index = 0;
        foreach (var raw in text.Split('\n'))
        {
            string line = raw.Trim();
            if (line.Length == 0) continue;
            var (record, error) = Parse(line);
            yield return (index++, record, error);
        }
    }

    private static (JsonObject? Record, string? Error) Parse(string json)
    {
        try
        {
            return JsonNode.Parse(json, documentOptions: RecordOptions) is JsonObject record ? (record, null) : (null, "bad JSON: record is not an object");
        }
        catch (JsonException e)
        {
            return (null, $"bad JSON: {e.Message}");
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
