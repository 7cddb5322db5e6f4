using VisRL.Imaging.Geometry;

namespace VisRL.Imaging.Synthetic;

/// <summary>
/// One benchmark item: the scene, the question, the short standard answer (one glyph), the hidden
/// GT evidence box (normalized), the family, and the (seed, index) that reproduce it.
/// </summary>
public sealed record SyntheticItem(
    RgbImage Image,
    string Question,
    string Answer,
    Box GtBox,
    string Family,
    ulong Seed,
    long Index,
    IReadOnlyList<SceneObject> Objects,
    int TargetIndex)
{
    public SceneObject Target => Objects[TargetIndex];
}
