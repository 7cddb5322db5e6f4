using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using VisRL.Imaging.Datasets;

namespace VisRL.Data.Export;

/// <summary>
/// Visual-CoT benchmark metadata for an export. Unlike <see cref="VisualCotWriter"/> (whole
/// pixels, covering the evidence), boxes keep 0.01 px, so an export re-imports to the same
/// normalized box (within 1e-3) on images of any size; pixel-aligned boxes still print as integers.
/// </summary>
public static class VisCotExportFile
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <param name="rows">Rows with image paths relative to the JSON file's folder, and each image's size.</param>
    public static void Write(string jsonPath, IEnumerable<(DatasetRow Row, int Width, int Height)> rows)
    {
        var array = new JsonArray();
        foreach (var (row, width, height) in rows)
        {
            var record = new JsonObject
            {
                ["question_id"] = row.SourceIndex,
                ["image"] = row.ImagePath,
                ["question"] = row.Question,
                ["answer"] = row.Answer,
                ["width"] = width,
                ["height"] = height,
            };
            if (row.GtBox is { } b)
                record["bboxs"] = new JsonArray(new JsonArray(Pixel(b.X1 * width), Pixel(b.Y1 * height), Pixel(b.X2 * width), Pixel(b.Y2 * height)));
            if (row.Family is not null) record["dataset"] = row.Family;
            array.Add(record);
        }
        File.WriteAllText(jsonPath, array.ToJsonString(Indented));
    }

    // Stored boxes are float32, so a pixel-aligned 100 comes back as 99.99999; two decimals hide that.
    private static double Pixel(double value) => Math.Round(value, 2) + 0.0;
}
