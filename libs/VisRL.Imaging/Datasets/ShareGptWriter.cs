using System.Text.Json.Nodes;
using VisRL.Imaging.Geometry;

namespace VisRL.Imaging.Datasets;

/// <summary>
/// Writes LLaMA-Factory sharegpt datasets (a JSON array file plus its dataset_info.json entry),
/// so SFT data and preference pairs made here train directly with LLaMA-Factory.
/// </summary>
public static class ShareGptWriter
{
    /// <summary>
    /// SFT data. With <paramref name="twoTurn"/> and a GT box, the VisCoT two-turn format:
    /// user "&lt;image&gt;\nQ + box request", assistant "[box]", user "&lt;image&gt;" (the crop; text-only
    /// answer request when no crop path is given), assistant answer. Otherwise one turn: Q → answer.
    /// Returns the data file path.
    /// </summary>
    public static string WriteSft(string folder, string datasetName, IEnumerable<SftExample> examples, bool twoTurn = true)
    {
        Directory.CreateDirectory(folder);
        var info = new ShareGptDatasetInfo { FileName = datasetName + ".json" };
        var array = new JsonArray();
        foreach (var (row, crop) in examples)
        {
            var images = new JsonArray(ImagePathResolver.ForWriting(row.ImagePath, folder));
            var messages = new JsonArray();
            if (twoTurn && row.GtBox is Box box)
            {
                messages.Add(Message(info, true, $"{VisCotPrompts.ImageToken}\n{row.Question} {VisCotPrompts.BoxRequest}"));
                messages.Add(Message(info, false, BoxText.Format(box)));
                if (crop is not null)
                {
                    messages.Add(Message(info, true, VisCotPrompts.ImageToken));
                    images.Add(ImagePathResolver.ForWriting(crop, folder));
                }
                else
                {
                    messages.Add(Message(info, true, VisCotPrompts.AnswerRequest));
                }
                messages.Add(Message(info, false, row.Answer));
            }
            else
            {
                messages.Add(Message(info, true, $"{VisCotPrompts.ImageToken}\n{row.Question}"));
                messages.Add(Message(info, false, row.Answer));
            }
            var item = new JsonObject { [info.MessagesColumn] = messages, [info.ImagesColumn] = images };
            if (row.GtBox is Box b) item[info.BoxColumn] = BoxText.Format(b);
            if (row.Family is not null) item[info.FamilyColumn] = row.Family;
            array.Add(item);
        }
        return Save(folder, datasetName, info, array);
    }

    /// <summary>Preference pairs as a LLaMA-Factory ranking dataset (columns chosen/rejected). Returns the data file path.</summary>
    public static string WritePairs(string folder, string datasetName, IEnumerable<PreferencePairExample> pairs)
    {
        Directory.CreateDirectory(folder);
        var info = new ShareGptDatasetInfo { FileName = datasetName + ".json", Ranking = true };
        var array = new JsonArray();
        foreach (var pair in pairs)
        {
            if (pair.Prompt.Count == 0 || !pair.Prompt[^1].FromUser)
                throw new ArgumentException("a pair's prompt must end with a user turn");
            int tokens = pair.Prompt.Sum(t => CountImageTokens(t.Text));
            if (tokens != pair.Images.Count)
                throw new ArgumentException($"prompt has {tokens} <image> tokens but {pair.Images.Count} images (LLaMA-Factory rejects that)");
            var messages = new JsonArray(pair.Prompt.Select(t => (JsonNode)Message(info, t.FromUser, t.Text)).ToArray());
            array.Add(new JsonObject
            {
                [info.MessagesColumn] = messages,
                [info.ChosenColumn] = Message(info, false, pair.Chosen),
                [info.RejectedColumn] = Message(info, false, pair.Rejected),
                [info.ImagesColumn] = new JsonArray(pair.Images.Select(i => (JsonNode)JsonValue.Create(ImagePathResolver.ForWriting(i, folder))).ToArray()),
            });
        }
        return Save(folder, datasetName, info, array);
    }

    private static JsonObject Message(ShareGptDatasetInfo info, bool user, string text) =>
        new() { [info.RoleTag] = user ? info.UserTag : info.AssistantTag, [info.ContentTag] = text };

    private static int CountImageTokens(string text)
    {
        int count = 0;
        for (int at = text.IndexOf(VisCotPrompts.ImageToken, StringComparison.Ordinal); at >= 0; at = text.IndexOf(VisCotPrompts.ImageToken, at + 1, StringComparison.Ordinal))
            count++;
        return count;
    }

    private static string Save(string folder, string datasetName, ShareGptDatasetInfo info, JsonArray array)
    {
        string path = Path.Combine(folder, info.FileName);
        File.WriteAllText(path, array.ToJsonString(JsonRecords.WriteOptions));
        ShareGptDatasetInfo.Register(Path.Combine(folder, "dataset_info.json"), datasetName, info);
        return path;
    }
}
