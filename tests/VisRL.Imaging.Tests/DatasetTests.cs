using System.Text.Json.Nodes;
using VisRL.Imaging.Datasets;
using VisRL.Imaging.Geometry;

namespace VisRL.Imaging.Tests;

public class DatasetTests
{
    private static (string Folder, List<DatasetRow> Rows) MakeRows(int count = 3)
    {
        string folder = TestPaths.NewTempDirectory();
        Directory.CreateDirectory(Path.Combine(folder, "images"));
        var rows = new List<DatasetRow>();
        for (int i = 0; i < count; i++)
        {
            string path = Path.Combine(folder, "images", $"img{i}.png");
            ImageCodec.Save(RgbImage.Filled(200 + i, 100, new Rgb(10, 20, (byte)i)), path);
            rows.Add(new DatasetRow(path, $"What character is on shape {i}?", $"{(char)('A' + i)}", new Box(0.1 * i, 0.2, 0.1 * i + 0.25, 0.5), "glyph_by_attributes", i));
        }
        return (folder, rows);
    }

    [Fact]
    public void SharegptTwoTurnRoundTrip()
    {
        var (folder, rows) = MakeRows();
        string crop = Path.Combine(folder, "images", "crop.png");
        ImageCodec.Save(RgbImage.Filled(8, 8, Rgb.White), crop);
        ShareGptWriter.WriteSft(folder, "sft", rows.Select((r, i) => new SftExample(r, i == 0 ? crop : null)));
        var result = ShareGptReader.Read(Path.Combine(folder, "dataset_info.json"), "sft");
        Assert.Empty(result.Failures);
        Assert.Equal(rows.Count, result.Rows.Count);
        for (int i = 0; i < rows.Count; i++)
        {
            var (expected, actual) = (rows[i], result.Rows[i]);
            Assert.Equal(Path.GetFullPath(expected.ImagePath), actual.ImagePath);
            Assert.Equal(expected.Question, actual.Question);
            Assert.Equal(expected.Answer, actual.Answer);
            Assert.Equal(expected.Family, actual.Family);
            AssertBoxClose(expected.GtBox!.Value, actual.GtBox!.Value, 0.0005);
        }
        var data = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "sft.json")))!.AsArray();
        var first = data[0]!["conversations"]!.AsArray();
        Assert.Equal(4, first.Count);
        Assert.Equal("[0.000, 0.200, 0.250, 0.500]", (string?)first[1]!["value"]);
        Assert.Equal(2, data[0]!["images"]!.AsArray().Count);
        Assert.Equal("images/img0.png", (string?)data[0]!["images"]![0]);
    }

    [Fact]
    public void SharegptSingleTurnKeepsBoxInColumn()
    {
        var (folder, rows) = MakeRows(2);
        ShareGptWriter.WriteSft(folder, "plain", rows.Select(r => new SftExample(r)), twoTurn: false);
        var result = ShareGptReader.Read(Path.Combine(folder, "dataset_info.json"), "plain");
        Assert.Equal(2, result.RowCount);
        AssertBoxClose(rows[1].GtBox!.Value, result.Rows[1].GtBox!.Value, 0.0005);
    }

    [Fact]
    public void PairsAreWrittenAsLlamaFactoryRanking()
    {
        var (folder, rows) = MakeRows(1);
        var pair = new PreferencePairExample([ChatTurn.User("<image>\nWhat is on the red circle? " + VisCotPrompts.BoxRequest)], "[0.100, 0.100, 0.200, 0.200]", "[0.600, 0.600, 0.700, 0.700]", [rows[0].ImagePath]);
        ShareGptWriter.WritePairs(folder, "pairs", [pair]);
        ShareGptWriter.WriteSft(folder, "sft", rows.Select(r => new SftExample(r))); // second entry, first kept
        var infoJson = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "dataset_info.json")))!;
        Assert.True((bool)infoJson["pairs"]!["ranking"]!);
        Assert.Equal("chosen", (string?)infoJson["pairs"]!["columns"]!["chosen"]);
        Assert.NotNull(infoJson["sft"]);
        var item = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "pairs.json")))![0]!;
        Assert.Equal("gpt", (string?)item["chosen"]!["from"]);
        Assert.Equal("[0.600, 0.600, 0.700, 0.700]", (string?)item["rejected"]!["value"]);
        var read = ShareGptReader.Read(Path.Combine(folder, "dataset_info.json"), "pairs");
        Assert.Equal("What is on the red circle?", Assert.Single(read.Rows).Question);
        Assert.Equal("[0.100, 0.100, 0.200, 0.200]", read.Rows[0].Answer);
        Assert.Throws<ArgumentException>(() => ShareGptWriter.WritePairs(folder, "bad", [pair with { Images = [] }]));
    }

    [Fact]
    public void SharegptReaderHonoursCustomTagsAndReportsBadRows()
    {
        var (folder, rows) = MakeRows(1);
        File.WriteAllText(Path.Combine(folder, "dataset_info.json"), """
            { "custom": { "file_name": "custom.jsonl", "formatting": "sharegpt",
              "columns": { "messages": "messages", "images": "images" },
              "tags": { "role_tag": "role", "content_tag": "content", "user_tag": "user", "assistant_tag": "assistant" } } }
            """);
        File.WriteAllText(Path.Combine(folder, "custom.jsonl"), string.Join('\n',
            """{"messages":[{"role":"user","content":"<image>Q0"},{"role":"assistant","content":"A0"}],"images":["images/img0.png"],"bbox":[0.1,0.2,0.3,0.4]}""",
            """{"messages":[{"role":"user","content":"<image>Q1"},{"role":"assistant","content":"A1"}],"images":["images/missing.png"]}""",
            """{"messages": [ broken json""",
            """{"images":["images/img0.png"]}""",
            """{"messages":[{"role":"user","content":"<image>Q4"},{"role":"assistant","content":"nonsense"},{"role":"user","content":"<image>"},{"role":"assistant","content":"A4"}],"images":["images/img0.png"]}""",
            """{"messages":[{"role":"user","content":"<image>Q5","content":"<image>Q5 again"},{"role":"assistant","content":"A5"}],"images":["images/img0.png"]}"""));
        var result = ShareGptReader.Read(Path.Combine(folder, "dataset_info.json"), "custom");
        var row = Assert.Single(result.Rows);
        Assert.Equal(("Q0", "A0"), (row.Question, row.Answer));
        AssertBoxClose(new Box(0.1, 0.2, 0.3, 0.4), row.GtBox!.Value, 1e-9);
        Assert.Equal([1, 2, 3, 4, 5], result.Failures.Select(f => f.SourceIndex));
        Assert.StartsWith("missing image", result.Failures[0].Reason);
        Assert.StartsWith("bad JSON", result.Failures[1].Reason);
        Assert.StartsWith("missing field", result.Failures[2].Reason);
        Assert.StartsWith("bad box", result.Failures[3].Reason);
        Assert.StartsWith("bad JSON", result.Failures[4].Reason); // a key twice in a nested object: that row alone
        Assert.Contains("'content'", result.Failures[4].Reason);
        Assert.Contains("1 rows, 5 failures", result.Summary);
        Assert.Throws<DatasetFormatException>(() => ShareGptReader.Read(Path.Combine(folder, "dataset_info.json"), "nope"));
    }

    [Fact]
    public void VisualCotRoundTrip()
    {
        var (folder, rows) = MakeRows();
        string json = Path.Combine(folder, "viscot.json");
        VisualCotWriter.Write(json, folder, rows);
        var result = VisualCotReader.Read(json, folder);
        Assert.Empty(result.Failures);
        for (int i = 0; i < rows.Count; i++)
        {
            Assert.Equal((rows[i].Question, rows[i].Answer, rows[i].Family), (result.Rows[i].Question, result.Rows[i].Answer, result.Rows[i].Family));
            AssertBoxClose(rows[i].GtBox!.Value, result.Rows[i].GtBox!.Value, 1.0 / 100);
        }
    }

    [Fact]
    public void VisualCotTrainingFormatConvertsSquareBoxesAndReportsFailures()
    {
        var (folder, _) = MakeRows(1); // img0 is 200x100: padded square 200, offset y 50
        string json = Path.Combine(folder, "train.json");
        File.WriteAllText(json, """
            [
              {"image": ["images/img0.png", "images/img0.png###[0.1, 0.25, 0.5, 0.75]"],
               "conversations": [
                 {"from": "human", "value": "<image>\nWhat is here? Please provide the bounding box coordinate of the region that can help you answer the question better."},
                 {"from": "gpt", "value": "[0.100, 0.250, 0.500, 0.750]"},
                 {"from": "human", "value": "<image>"},
                 {"from": "gpt", "value": "a cat"}]},
              {"image": "images/img0.png", "question": "Q?", "answer": "A", "bboxs": [[20, 10, 60, 30], [50, 20, 80, 40]], "width": 200, "height": 100, "dataset": "gqa"},
              {"image": "images/img0.png", "question": "Q?", "answer": "A", "bboxs": [[20, 10, 60]]},
              {"image": "images/none.png", "question": "Q?", "answer": "A"},
              {"question": "Q?", "answer": "A"},
              {"image": "images/img0.png", "question": "Q?"},
              {"image": "images/img0.png", "image": "images/none.png", "question": "Q?", "answer": "A"}
            ]
            """);
        var result = VisualCotReader.Read(json, folder);
        Assert.Equal(2, result.RowCount);
        var first = result.Rows[0];
        Assert.Equal(("What is here?", "a cat"), (first.Question, first.Answer));
        AssertBoxClose(new Box(0.1, 0.0, 0.5, 1.0), first.GtBox!.Value, 1e-9);
        AssertBoxClose(new Box(0.1, 0.1, 0.4, 0.4), result.Rows[1].GtBox!.Value, 1e-9);
        Assert.Equal("gqa", result.Rows[1].Family);
        Assert.Equal(["bad box", "missing image", "missing field", "missing field", "bad JSON"], result.Failures.Select(f => f.Reason.Split(':')[0]));
        Assert.Contains("'image'", result.Failures[^1].Reason);
    }

    private static void AssertBoxClose(Box expected, Box actual, double tolerance)
    {
        Assert.InRange(actual.X1, expected.X1 - tolerance, expected.X1 + tolerance);
        Assert.InRange(actual.Y1, expected.Y1 - tolerance, expected.Y1 + tolerance);
        Assert.InRange(actual.X2, expected.X2 - tolerance, expected.X2 + tolerance);
        Assert.InRange(actual.Y2, expected.Y2 - tolerance, expected.Y2 + tolerance);
    }
}
