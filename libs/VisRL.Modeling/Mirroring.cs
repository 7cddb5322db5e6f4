using System.Text.RegularExpressions;
using VisRL.Imaging.Geometry;
using VisRL.Imaging.Synthetic;

namespace VisRL.Modeling;

/// <summary>
/// A labeled scene mirrored left to right, for learning to localize (the focus stage, SFT's turn 1):
/// the image flipped, "left" and "right" swapped in the question, the GT box and the objects flipped
/// with it, so the mirrored question asks about the same object. Why: the policy learns its 1,500
/// labeled scenes by heart (the focus stage alone: 72 % of its training scenes' boxes right after 500
/// steps, 42 % of the test scenes'), and the mirrored copy helps it as much as four times the labeled
/// scenes did (libs/VisRL.Modeling/README.md). The glyphs read mirrored, so a mirrored scene's crop
/// is never trained on: SFT's turn 2 reads the unflipped crop.
/// </summary>
public static partial class Mirroring
{
    public static LabeledScene Scene(LabeledScene scene)
    {
        int width = scene.Image.Width;
        const int mirroredLeftToRight = 2; // the EXIF orientation whose display flips the image horizontally
        return new LabeledScene(Orientation.Apply(scene.Image, mirroredLeftToRight), Question(scene.Question), scene.Answer, Box(scene.GtBox), scene.Family)
        {
            Objects = scene.Objects?.Select(o => o with { Bounds = Rect(o.Bounds, width), GlyphBounds = Rect(o.GlyphBounds, width) }).ToList(),
        };
    }

    /// <summary>The question with left and right swapped, whole words only, keeping each word's case (lower, Capitalized or UPPER).</summary>
    public static string Question(string question) => Sides().Replace(question, m =>
    {
        string word = m.Value.ToLowerInvariant() switch
        {
            "left" => "right",
            "right" => "left",
            "leftmost" => "rightmost",
            _ => "leftmost",
        };
        return m.Value.All(char.IsUpper) ? word.ToUpperInvariant()
            : char.IsUpper(m.Value[0]) ? char.ToUpperInvariant(word[0]) + word[1..]
            : word;
    });

    public static Box Box(Box box) => new(1 - box.X2, box.Y1, 1 - box.X1, box.Y2);

    private static PixelRect Rect(PixelRect rect, int imageWidth) => rect with { X = imageWidth - rect.Right };

    [GeneratedRegex(@"\b(left|right|leftmost|rightmost)\b", RegexOptions.IgnoreCase)]
    private static partial Regex Sides();
}
