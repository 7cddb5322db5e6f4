using VisRL.Imaging;
using VisRL.Imaging.Geometry;
using VisRL.Imaging.Synthetic;

namespace VisRL.Modeling;

/// <summary>
/// A scene with its question, standard answer, GT box and family: what training and evaluation
/// read, whether it comes from the generator or from a stored dataset.
/// </summary>
public sealed record LabeledScene(RgbImage Image, string Question, string Answer, Box GtBox, string Family)
{
    /// <summary>Every object of the scene, when known (the generator's scenes): the focus stage's dense labels.</summary>
    public IReadOnlyList<SceneObject>? Objects { get; init; }

    public static LabeledScene From(SyntheticItem item) => new(item.Image, item.Question, item.Answer, item.GtBox, item.Family) { Objects = item.Objects };
}
