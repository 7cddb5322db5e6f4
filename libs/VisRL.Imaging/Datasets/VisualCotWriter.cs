using System.Text.Json.Nodes;

namespace VisRL.Imaging.Datasets;

/// <summary>
/// Writes rows in Visual-CoT's benchmark metadata form: {question_id, image, question, answer,
/// bboxs: [[x1, y1, x2, y2]] in integer pixels, width, height, dataset}. Image sizes are read
/// from the image headers; paths are written relative to <c>imageFolder</c> when inside it.
/// </summary>
public static class VisualCotWriter
{
    public static void Write(string jsonPath, string imageFolder, IEnumerable<DatasetRow> rows)
    {
        var array = new JsonArray();
        foreach (var row in rows)
        {
            var (width, height) = ImageCodec.ReadSize(row.ImagePath);
            var item = new JsonObject
            {
                ["question_id"] = row.SourceIndex,
                ["image"] = ImagePathResolver.ForWriting(row.ImagePath, imageFolder),
                ["question"] = row.Question,
                ["answer"] = row.Answer,
                ["width"] = width,
                ["height"] = height,
            };
            if (row.GtBox is { } b)
            {
                // Floor the min corner and ceil the max corner so the pixel box still covers the evidence.
                item["bboxs"] = new JsonArray(new JsonArray(
                    (int)Math.Floor(b.X1 * width), (int)Math.Floor(b.Y1 * height), (int)Math.Ceiling(b.X2 * width), (int)Math.Ceiling(b.Y2 * height)));
            }
            if (row.Family is not null) item["dataset"] = row.Family;
            array.Add(item);
        }
        string? dir = Path.GetDirectoryName(Path.GetFullPath(jsonPath));
        if (dir is not null) Directory.CreateDirectory(dir);
        File.WriteAllText(jsonPath, array.ToJsonString(JsonRecords.WriteOptions));
    }
}
