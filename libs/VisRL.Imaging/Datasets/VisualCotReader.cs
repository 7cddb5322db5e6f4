using System.Text.Json.Nodes;
using VisRL.Imaging.Geometry;

namespace VisRL.Imaging.Datasets;

/// <summary>
/// Reads Visual-CoT-style JSON (array or JSON lines). Two shapes are accepted:
/// the benchmark metadata form {image, question, answer, bboxs: [[x1,y1,x2,y2] in pixels], width,
/// height, dataset} and the training form {image: [path, "path###[box]"], conversations: [human,
/// gpt box, human, gpt answer]}. Several bboxs are merged into their union (the evidence region).
/// Boxes inside Visual-CoT conversations are normalized to the expand2square canvas (its
/// cropwithbbox scales them by max(w, h)); they are converted to the original image here.
/// </summary>
public static class VisualCotReader
{
    public static DatasetReadResult Read(string jsonPath, string imageFolder)
    {
        var rows = new List<DatasetRow>();
        var failures = new List<DatasetFailure>();
        foreach (var (index, record, error) in JsonRecords.Read(jsonPath))
        {
            if (record is null) { failures.Add(new DatasetFailure(index, error!)); continue; }
            var (row, reason) = ReadRow(record, index, imageFolder);
            if (row is not null) rows.Add(row);
            else failures.Add(new DatasetFailure(index, reason!));
        }
        return new DatasetReadResult(rows, failures);
    }

    private static (DatasetRow? Row, string? Reason) ReadRow(JsonObject record, int index, string imageFolder)
    {
        string? image = JsonRecords.FirstString(record, "image");
        if (image is null) return (null, "missing field: 'image'");
        var conversation = record["conversations"] as JsonArray;
        var turns = conversation?.OfType<JsonObject>().Select(m => JsonRecords.String(m, "value") ?? "").ToList() ?? [];

        string? question = JsonRecords.String(record, "question") ?? (turns.Count > 0 ? VisCotPrompts.StripQuestion(turns[0]) : null);
        if (string.IsNullOrEmpty(question)) return (null, "missing field: 'question' (or conversations)");
        string? answer = JsonRecords.String(record, "answer") ?? (turns.Count >= 2 ? turns[^1] : null);
        if (answer is null) return (null, "missing field: 'answer' (or conversations)");

        string path = ImagePathResolver.Resolve(image, imageFolder);
        if (!File.Exists(path)) return (null, $"missing image: {path}");

        Box? box = null;
        if (record["bboxs"] is not null || record["bbox"] is not null)
        {
            var node = record["bboxs"] ?? record["bbox"]!;
            var (parsed, reason) = PixelOrNormalizedBoxes(node, record, path);
            if (parsed is null) return (null, $"bad box: {reason}");
            box = parsed;
        }
        else if (turns.Count >= 4)
        {
            var parsed = BoxParser.Parse(turns[1]);
            if (!parsed.Success) return (null, $"bad box: '{turns[1]}' ({parsed.FailureReason})");
            if (!TrySize(record, path, out int w, out int h, out string? sizeError)) return (null, $"bad box: {sizeError}");
            box = SquarePad.FromSquare(parsed.Box, w, h).Clamp();
        }
        return (new DatasetRow(path, question, answer, box, JsonRecords.String(record, "dataset"), index), null);
    }

    private static (Box? Box, string? Reason) PixelOrNormalizedBoxes(JsonNode node, JsonObject record, string imagePath)
    {
        var arrays = new List<double[]>();
        try
        {
            if (node is JsonArray outer && outer.Count > 0 && outer[0] is JsonArray)
                arrays.AddRange(outer.Select(inner => inner!.AsArray().Select(v => v!.GetValue<double>()).ToArray()));
            else if (node is JsonArray flat)
                arrays.Add(flat.Select(v => v!.GetValue<double>()).ToArray());
            else
                return (null, $"'{node.ToJsonString()}' is not a list of boxes");
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or NullReferenceException)
        {
            return (null, $"'{node.ToJsonString()}' holds a non-number");
        }
        if (arrays.Count == 0 || arrays.Any(a => a.Length != 4 || a.Any(v => !double.IsFinite(v))))
            return (null, $"'{node.ToJsonString()}' is not a list of 4-number boxes");
        bool pixels = arrays.Any(a => a.Any(v => v > 1));
        int w = 1, h = 1;
        if (pixels && !TrySize(record, imagePath, out w, out h, out string? sizeError)) return (null, sizeError);
        Box? union = null;
        foreach (var a in arrays)
        {
            var b = new Box(Math.Min(a[0], a[2]) / w, Math.Min(a[1], a[3]) / h, Math.Max(a[0], a[2]) / w, Math.Max(a[1], a[3]) / h).Clamp();
            union = union is null ? b : union.Value.Union(b);
        }
        return (union, null);
    }

    /// <summary>Image size from the record's width/height, else from the image header.</summary>
    private static bool TrySize(JsonObject record, string imagePath, out int width, out int height, out string? error)
    {
        error = null;
        if (record["width"] is JsonValue wv && record["height"] is JsonValue hv && wv.TryGetValue(out width) && hv.TryGetValue(out height) && width > 0 && height > 0)
            return true;
        try
        {
            (width, height) = ImageCodec.ReadSize(imagePath);
            return true;
        }
        catch (Exception e) when (e is ImageDecodeException or IOException)
        {
            width = height = 0;
            error = $"cannot read the image size to normalize the box ({e.Message})";
            return false;
        }
    }
}
