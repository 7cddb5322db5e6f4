using VisRL.Data;
using VisRL.Data.Synthetic;
using VisRL.Modeling;

namespace VisRL.Training;

/// <summary>
/// Stored items as the model's labeled scenes; base and SFT training need every item's GT box. Items
/// of a synthetic split also get their objects, remade by the split's recorded generator (the focus
/// stage's dense labels), where the remade question matches the stored one.
/// </summary>
public static class SceneLoader
{
    public static async Task<IReadOnlyList<LabeledScene>> LoadAsync(DatasetStorage storage, string dataset, string split, int? limit,
        bool requireBoxes, CancellationToken cancellationToken)
    {
        var items = await StoredItems.LoadAsync(storage, dataset, split, limit, cancellationToken);
        var generator = await SyntheticSplits.GeneratorAsync(storage, dataset, split, cancellationToken);
        var scenes = new List<LabeledScene>(items.Count);
        foreach (var item in items)
        {
            var box = item.Row.GtBox();
            if (box is null && requireBoxes)
                throw new InvalidOperationException($"item {item.Row.Id} ({dataset}/{split} #{item.Row.Ordinal}) has no GT box: base and SFT training need boxes");
            var layout = generator?.Layout(item.Row.Ordinal);
            scenes.Add(new LabeledScene(item.Image, item.Row.Question, item.Row.StandardAnswer, box ?? VisRL.Imaging.Geometry.Box.Full, item.Row.Family ?? "unknown")
            {
                Objects = layout is var (question, objects) && question == item.Row.Question ? objects : null,
            });
        }
        return scenes;
    }
}
