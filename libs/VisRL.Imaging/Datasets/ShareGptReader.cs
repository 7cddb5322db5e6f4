using System.Text.Json.Nodes;
using VisRL.Imaging.Geometry;

namespace VisRL.Imaging.Datasets;

/// <summary>
/// Reads a LLaMA-Factory sharegpt dataset named in a dataset_info.json (JSON array or JSON lines).
/// Question = the first user turn without image tokens and the box request; answer = the last
/// assistant turn (for ranking datasets: the chosen response). The GT box comes from the first
/// assistant turn of a two-turn VisCoT conversation, else from the optional bbox column; it is
/// normalized to the original image (VisRL's convention).
/// </summary>
public static class ShareGptReader
{
    public static DatasetReadResult Read(string datasetInfoPath, string datasetName, string? imageFolder = null)
    {
        var info = ShareGptDatasetInfo.Load(datasetInfoPath, datasetName);
        string folder = Path.GetDirectoryName(Path.GetFullPath(datasetInfoPath))!;
        string dataPath = Path.Combine(folder, info.FileName);
        var rows = new List<DatasetRow>();
        var failures = new List<DatasetFailure>();
        foreach (var (index, record, error) in JsonRecords.Read(dataPath))
        {
            if (record is null) { failures.Add(new DatasetFailure(index, error!)); continue; }
            var (row, reason) = ReadRow(record, index, info, imageFolder ?? folder);
            if (row is not null) rows.Add(row);
            else failures.Add(new DatasetFailure(index, reason!));
        }
        return new DatasetReadResult(rows, failures);
    }

    private static (DatasetRow? Row, string? Reason) ReadRow(JsonObject record, int index, ShareGptDatasetInfo info, string imageFolder)
    {
        if (record[info.MessagesColumn] is not JsonArray messages)
            return (null, $"missing field: '{info.MessagesColumn}'");
        var turns = new List<(bool User, string Text)>();
        foreach (var message in messages)
        {
            if (message is not JsonObject m) return (null, "bad JSON: message is not an object");
            string? role = JsonRecords.String(m, info.RoleTag), content = JsonRecords.String(m, info.ContentTag);
            if (role is null || content is null) return (null, $"missing field: message without '{info.RoleTag}'/'{info.ContentTag}'");
            if (role == info.UserTag) turns.Add((true, content));
            else if (role == info.AssistantTag) turns.Add((false, content));
        }
        var firstUser = turns.FirstOrDefault(t => t.User);
        if (firstUser.Text is null) return (null, "missing field: no user turn");
        string question = VisCotPrompts.StripQuestion(firstUser.Text);
        var assistant = turns.Where(t => !t.User).Select(t => t.Text).ToList();
        string? answer = info.Ranking ? ResponseText(record[info.ChosenColumn], info) : assistant.LastOrDefault();
        if (answer is null) return (null, info.Ranking ? $"missing field: '{info.ChosenColumn}'" : "missing field: no assistant turn");

        Box? box = null;
        if (!info.Ranking && assistant.Count >= 2)
        {
            var parsed = BoxParser.Parse(assistant[0]);
            if (!parsed.Success) return (null, $"bad box: first assistant turn '{Short(assistant[0])}' ({parsed.FailureReason})");
            box = parsed.Box;
        }
        else if (record[info.BoxColumn] is JsonNode boxNode)
        {
            var parsed = BoxParser.Parse(boxNode is JsonValue v && v.TryGetValue(out string? s) ? s : boxNode.ToJsonString());
            if (!parsed.Success) return (null, $"bad box: '{Short(boxNode.ToJsonString())}' ({parsed.FailureReason})");
            box = parsed.Box;
        }

        string? image = JsonRecords.FirstString(record, info.ImagesColumn);
        if (image is null) return (null, $"missing field: '{info.ImagesColumn}'");
        string path = ImagePathResolver.Resolve(image, imageFolder);
        if (!File.Exists(path)) return (null, $"missing image: {path}");
        return (new DatasetRow(path, question, answer, box, JsonRecords.String(record, info.FamilyColumn), index), null);
    }

    private static string? ResponseText(JsonNode? node, ShareGptDatasetInfo info) => node switch
    {
        JsonObject o => JsonRecords.String(o, info.ContentTag),
        JsonValue v when v.TryGetValue(out string? s) => s,
        _ => null,
    };

    private static string Short(string s) => s.Length <= 60 ? s : s[..57] + "...";
}
