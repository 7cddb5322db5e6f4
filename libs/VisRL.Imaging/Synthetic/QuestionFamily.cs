namespace VisRL.Imaging.Synthetic;

/// <summary>The question families the generator knows, by their stored names.</summary>
public static class QuestionFamily
{
    /// <summary>"What character is on the green triangle?" — the target is unique by color and shape.</summary>
    public const string GlyphByAttributes = "glyph_by_attributes";

    /// <summary>"What character is on the shape left of the red circle?" — the anchor is unique by
    /// color and shape; the target is the only shape in the anchor's row (vertical extents overlap)
    /// on that side (for above/below: the only one in its column).</summary>
    public const string GlyphByRelation = "glyph_by_relation";

    /// <summary>"What character is on the leftmost square?" / "...on the topmost blue shape?" — the
    /// group has at least two members and the extreme one leads the next by a clear margin.</summary>
    public const string GlyphByExtreme = "glyph_by_extreme";

    public static IReadOnlyList<string> All { get; } = [GlyphByAttributes, GlyphByRelation, GlyphByExtreme];
}
