using VisRL.Data;
using VisRL.Modeling;

namespace VisRL.Training;

/// <summary>Stored items as the model's labeled scenes; base and SFT training need every item's GT box.</summary>
public static class SceneLoader
{
    public static async Task<IReadOnlyList<LabeledScene>> LoadAsync(DatasetStorage storage, string dataset, string split, int? limit,
        bool requireBoxes, CancellationToken cancellationToken)
    {
        var items = await StoredItems.LoadAsync(storage, dataset, split, limit, cancellationToken);
        var scenes = new List<LabeledScene>(items.Count);
        foreach (var item in items)
        {
            var box = item.Row.GtBox();
            if (box is null && requireBoxes)
                throw new InvalidOperationException($"item {item.Row.Id} ({dataset}/{split} #{item.Row.Ordinal}) has no GT box: base and SFT training need boxes");
            scenes.Add(new LabeledScene(item.Image, item.Row.Question, item.Row.StandardAnswer, box ?? VisRL.Imaging.Geometry.Box.Full, item.Row.Family ?? "unknown"));
        }
        return scenes;
    }
}
