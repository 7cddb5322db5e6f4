using VisRL.Imaging.Geometry;

namespace VisRL.Imaging.Synthetic;

/// <summary>Places non-overlapping objects with distinct glyphs; pure geometry, no pixels.</summary>
internal static class SceneLayout
{
    public static List<SceneObject> Place(SyntheticOptions o, Xoshiro256 rng)
    {
        int count = rng.NextInt(o.MinObjects, o.MaxObjects);
        var glyphs = o.Glyphs.ToCharArray();
        rng.Shuffle(glyphs);
        var objects = new List<SceneObject>(count);
        int glyphW = GlyphFont.Columns * o.GlyphScale, glyphH = GlyphFont.Rows * o.GlyphScale;
        for (int attempt = 0; attempt < count * 60 && objects.Count < count; attempt++)
        {
            int size = rng.NextInt(o.MinObjectSize, o.MaxObjectSize);
            int margin = o.BoxPadding + 1;
            int x = rng.NextInt(margin, o.SceneSize - size - margin), y = rng.NextInt(margin, o.SceneSize - size - margin);
            var bounds = new PixelRect(x, y, size, size);
            if (objects.Any(other => Overlaps(bounds, other.Bounds, o.ObjectGap))) continue;
            var shape = rng.Pick(o.Shapes);
            // The triangle's apex is up, so its widest part is low: put its glyph below center.
            double glyphCenterY = y + size / 2.0 + (shape == ShapeKind.Triangle ? 0.3 * size / 2.0 : 0);
            var glyphBounds = new PixelRect(x + (size - glyphW) / 2, (int)Math.Round(glyphCenterY - glyphH / 2.0), glyphW, glyphH);
            objects.Add(new SceneObject(shape, rng.Pick(o.Colors), glyphs[objects.Count], bounds, glyphBounds));
        }
        return objects;
    }

    private static bool Overlaps(PixelRect a, PixelRect b, int gap) =>
        a.X < b.Right + gap && b.X < a.Right + gap && a.Y < b.Bottom + gap && b.Y < a.Bottom + gap;
}
