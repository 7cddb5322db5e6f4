using System.Text.Json;
using System.Text.Json.Nodes;

namespace VisRL.Imaging.Datasets;

/// <summary>
/// One entry of LLaMA-Factory's dataset_info.json for a sharegpt dataset: the file, the column
/// names (messages, images, chosen, rejected, plus our optional bbox and family columns) and the
/// role/content tags. Missing fields take LLaMA-Factory's defaults.
/// </summary>
public sealed record ShareGptDatasetInfo
{
    public required string FileName { get; init; }
    public bool Ranking { get; init; }
    public string MessagesColumn { get; init; } = "conversations";
    public string ImagesColumn { get; init; } = "images";
    public string ChosenColumn { get; init; } = "chosen";
    public string RejectedColumn { get; init; } = "rejected";
    public string BoxColumn { get; init; } = "bbox";
    public string FamilyColumn { get; init; } = "family";
    public string RoleTag { get; init; } = "from";
    public string ContentTag { get; init; } = "value";
    public string UserTag { get; init; } = "human";
    public string AssistantTag { get; init; } = "gpt";

    public static ShareGptDatasetInfo Load(string datasetInfoPath, string datasetName)
    {
        if (!File.Exists(datasetInfoPath)) throw new DatasetFormatException($"dataset_info not found: {datasetInfoPath}");
        JsonObject root;
        try
        {
            root = JsonNode.Parse(File.ReadAllText(datasetInfoPath))?.AsObject() ?? throw new DatasetFormatException($"{datasetInfoPath}: empty");
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            throw new DatasetFormatException($"{datasetInfoPath}: bad JSON ({e.Message})", e);
        }
        if (root[datasetName] is not JsonObject entry)
            throw new DatasetFormatException($"{datasetInfoPath}: no dataset named '{datasetName}' (has: {string.Join(", ", root.Select(p => p.Key))})");
        string formatting = JsonRecords.String(entry, "formatting") ?? "alpaca";
        if (formatting != "sharegpt")
            throw new DatasetFormatException($"{datasetInfoPath}: dataset '{datasetName}' has formatting '{formatting}'; only sharegpt is supported");
        string file = JsonRecords.String(entry, "file_name") ?? throw new DatasetFormatException($"{datasetInfoPath}: dataset '{datasetName}' has no file_name");
        var columns = entry["columns"] as JsonObject ?? [];
        var tags = entry["tags"] as JsonObject ?? [];
        var info = new ShareGptDatasetInfo { FileName = file, Ranking = entry["ranking"] is JsonValue r && r.TryGetValue(out bool b) && b };
        return info with
        {
            MessagesColumn = JsonRecords.String(columns, "messages") ?? info.MessagesColumn,
            ImagesColumn = JsonRecords.String(columns, "images") ?? info.ImagesColumn,
            ChosenColumn = JsonRecords.String(columns, "chosen") ?? info.ChosenColumn,
            RejectedColumn = JsonRecords.String(columns, "rejected") ?? info.RejectedColumn,
            BoxColumn = JsonRecords.String(columns, "bbox") ?? info.BoxColumn,
            FamilyColumn = JsonRecords.String(columns, "family") ?? info.FamilyColumn,
            RoleTag = JsonRecords.String(tags, "role_tag") ?? info.RoleTag,
            ContentTag = JsonRecords.String(tags, "content_tag") ?? info.ContentTag,
            UserTag = JsonRecords.String(tags, "user_tag") ?? info.UserTag,
            AssistantTag = JsonRecords.String(tags, "assistant_tag") ?? info.AssistantTag,
        };
    }

    /// <summary>The entry as LLaMA-Factory expects it in dataset_info.json.</summary>
    public JsonObject ToJson()
    {
        var columns = new JsonObject { ["messages"] = MessagesColumn, ["images"] = ImagesColumn };
        if (Ranking) { columns["chosen"] = ChosenColumn; columns["rejected"] = RejectedColumn; }
        var entry = new JsonObject { ["file_name"] = FileName, ["formatting"] = "sharegpt" };
        if (Ranking) entry["ranking"] = true;
        entry["columns"] = columns;
        entry["tags"] = new JsonObject { ["role_tag"] = RoleTag, ["content_tag"] = ContentTag, ["user_tag"] = UserTag, ["assistant_tag"] = AssistantTag };
        return entry;
    }

    /// <summary>Adds or replaces one entry of a dataset_info.json, keeping the others.</summary>
    public static void Register(string datasetInfoPath, string datasetName, ShareGptDatasetInfo info)
    {
        JsonObject root = [];
        if (File.Exists(datasetInfoPath))
        {
            try { root = JsonNode.Parse(File.ReadAllText(datasetInfoPath))?.AsObject() ?? []; }
            catch (JsonException e) { throw new DatasetFormatException($"{datasetInfoPath}: bad JSON, not overwriting it ({e.Message})", e); }
        }
        root[datasetName] = info.ToJson();
        File.WriteAllText(datasetInfoPath, root.ToJsonString(JsonRecords.WriteOptions));
    }
}
