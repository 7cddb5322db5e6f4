namespace VisRL.Imaging.Synthetic;

/// <summary>
/// Knobs of the synthetic benchmark. Defaults: 448×448 scenes, 6–10 objects of 36–52 px, each
/// carrying a 10×14 px glyph (5×7 font at scale 2), made for a 64 px model input: the glyph is
/// ~2 px tall in the downscaled global view (oracle-reader accuracy ~14%, chance 3%) and ~20 px
/// in the GT crop (100%). Legibility follows the glyph height in the global input,
/// 7·GlyphScale·input/SceneSize px: ≤ 2 px is illegible, 3 px (a 96 px input) already leaks
/// (~48%). For a larger input, scale SceneSize (and object sizes) with it.
/// </summary>
public sealed record SyntheticOptions
{
    public int SceneSize { get; init; } = 448;
    public int MinObjects { get; init; } = 6;
    public int MaxObjects { get; init; } = 10;
    public int MinObjectSize { get; init; } = 36;
    public int MaxObjectSize { get; init; } = 52;
    /// <summary>Minimum free pixels between object bounding boxes.</summary>
    public int ObjectGap { get; init; } = 6;
    /// <summary>Integer scale of the 5×7 glyph font (2 → 10×14 px).</summary>
    public int GlyphScale { get; init; } = 2;
    public string Glyphs { get; init; } = GlyphFont.DefaultGlyphs;
    public Rgb GlyphInk { get; init; } = new(15, 15, 15);
    public IReadOnlyList<NamedColor> Colors { get; init; } = NamedColor.Defaults;
    public IReadOnlyList<ShapeKind> Shapes { get; init; } = [ShapeKind.Circle, ShapeKind.Square, ShapeKind.Triangle, ShapeKind.Diamond, ShapeKind.Hexagon];
    /// <summary>Relative weights of question families; families absent or at 0 are never asked.</summary>
    public IReadOnlyDictionary<string, double> FamilyWeights { get; init; } = new Dictionary<string, double>
    {
        [QuestionFamily.GlyphByAttributes] = 1,
        [QuestionFamily.GlyphByRelation] = 1,
        [QuestionFamily.GlyphByExtreme] = 1,
    };
    public Rgb Background { get; init; } = new(232, 230, 224);
    /// <summary>Amplitude (± levels) of the blotchy gray background noise (4×4 px blocks); 0 for a flat background.</summary>
    public int NoiseAmplitude { get; init; } = 8;
    /// <summary>Distractor specks and short strokes without glyphs.</summary>
    public int ClutterCount { get; init; } = 40;
    /// <summary>Pixels added around the object's bounding box to form the GT evidence box.</summary>
    public int BoxPadding { get; init; } = 2;
    /// <summary>Margin (px between centers) an extreme object must lead the runner-up by.</summary>
    public int ExtremeMargin { get; init; } = 20;

    public void Validate()
    {
        if (SceneSize < 64) throw new ArgumentException("SceneSize must be at least 64");
        if (MinObjects < 3 || MaxObjects < MinObjects) throw new ArgumentException("need 3 ≤ MinObjects ≤ MaxObjects");
        if (MinObjectSize < 18 * GlyphScale || MaxObjectSize < MinObjectSize)
            throw new ArgumentException($"MinObjectSize must be ≥ 18 × GlyphScale ({18 * GlyphScale}) so glyphs fit inside every shape, and ≤ MaxObjectSize");
        if (GlyphScale < 1) throw new ArgumentException("GlyphScale must be ≥ 1");
        if (Glyphs.Length < MaxObjects || Glyphs.Distinct().Count() != Glyphs.Length || !Glyphs.All(GlyphFont.Has))
            throw new ArgumentException($"Glyphs must be distinct font characters, at least MaxObjects ({MaxObjects}) of them");
        if (Colors.Count < 2 || Shapes.Count < 2) throw new ArgumentException("need at least two colors and two shapes");
        if (!FamilyWeights.Any(f => f.Value > 0)) throw new ArgumentException("at least one question family needs a positive weight");
        foreach (var family in FamilyWeights.Keys)
            if (!QuestionFamily.All.Contains(family)) throw new ArgumentException($"unknown question family '{family}'");
    }
}
