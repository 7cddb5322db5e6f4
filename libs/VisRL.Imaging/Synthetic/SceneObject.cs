using VisRL.Imaging.Geometry;

namespace VisRL.Imaging.Synthetic;

/// <summary>One glyph-carrying shape: its bounding box and where its glyph is drawn (pixels).</summary>
public sealed record SceneObject(ShapeKind Shape, NamedColor Color, char Glyph, PixelRect Bounds, PixelRect GlyphBounds)
{
    public double CenterX => Bounds.X + Bounds.Width / 2.0;
    public double CenterY => Bounds.Y + Bounds.Height / 2.0;

    public string Describe() => $"{Color.Name} {ShapeNames.Of(Shape)}";
}
