namespace VisRL.Imaging.Synthetic;

/// <summary>
/// Builds an unambiguous question of a family for a scene, or reports that the scene cannot
/// support one (the generator then lays out a new scene). Every rule that makes a question
/// unambiguous is checked here, so the answer is always determined by the scene.
/// </summary>
internal static class QuestionBuilder
{
    public static SceneQuestion? Build(string family, IReadOnlyList<SceneObject> objects, SyntheticOptions o, Xoshiro256 rng) => family switch
    {
        QuestionFamily.GlyphByAttributes => ByAttributes(objects, rng),
        QuestionFamily.GlyphByRelation => ByRelation(objects, rng),
        QuestionFamily.GlyphByExtreme => ByExtreme(objects, o, rng),
        _ => throw new ArgumentException($"unknown question family '{family}'"),
    };

    private static List<int> UniqueByAttributes(IReadOnlyList<SceneObject> objects)
    {
        var unique = new List<int>();
        for (int i = 0; i < objects.Count; i++)
        {
            int same = 0;
            foreach (var other in objects)
                if (other.Shape == objects[i].Shape && other.Color == objects[i].Color) same++;
            if (same == 1) unique.Add(i);
        }
        return unique;
    }

    private static SceneQuestion? ByAttributes(IReadOnlyList<SceneObject> objects, Xoshiro256 rng)
    {
        var candidates = UniqueByAttributes(objects);
        if (candidates.Count == 0) return null;
        int target = rng.Pick(candidates);
        return new SceneQuestion($"What character is on the {objects[target].Describe()}?", target);
    }

    private static readonly (string Phrase, int Dx, int Dy)[] Directions =
        [("left of", -1, 0), ("right of", 1, 0), ("above", 0, -1), ("below", 0, 1)];

    private static SceneQuestion? ByRelation(IReadOnlyList<SceneObject> objects, Xoshiro256 rng)
    {
        var options = new List<(int Anchor, int Direction, int Target)>();
        foreach (int anchor in UniqueByAttributes(objects))
        {
            var a = objects[anchor].Bounds;
            for (int d = 0; d < Directions.Length; d++)
            {
                var (_, dx, dy) = Directions[d];
                int found = -1, count = 0;
                for (int i = 0; i < objects.Count; i++)
                {
                    if (i == anchor) continue;
                    var b = objects[i].Bounds;
                    bool inBand = dx != 0 ? b.Y < a.Bottom && a.Y < b.Bottom : b.X < a.Right && a.X < b.Right;
                    bool onSide = dx < 0 ? b.Right <= a.X : dx > 0 ? b.X >= a.Right : dy < 0 ? b.Bottom <= a.Y : b.Y >= a.Bottom;
                    if (inBand && onSide) { found = i; count++; }
                }
                if (count == 1) options.Add((anchor, d, found));
            }
        }
        if (options.Count == 0) return null;
        var (anchorIndex, direction, target) = rng.Pick(options);
        return new SceneQuestion($"What character is on the shape {Directions[direction].Phrase} the {objects[anchorIndex].Describe()}?", target);
    }

    private static readonly (string Word, int Dx, int Dy)[] Extremes =
        [("leftmost", -1, 0), ("rightmost", 1, 0), ("topmost", 0, -1), ("bottommost", 0, 1)];

    private static SceneQuestion? ByExtreme(IReadOnlyList<SceneObject> objects, SyntheticOptions o, Xoshiro256 rng)
    {
        var options = new List<(string Text, int Target)>();
        var groups = new List<(string Noun, List<int> Members)>();
        foreach (var shape in objects.Select(x => x.Shape).Distinct())
            groups.Add((ShapeNames.Of(shape), Enumerable.Range(0, objects.Count).Where(i => objects[i].Shape == shape).ToList()));
        foreach (var color in objects.Select(x => x.Color).Distinct())
            groups.Add(($"{color.Name} shape", Enumerable.Range(0, objects.Count).Where(i => objects[i].Color == color).ToList()));
        foreach (var (noun, members) in groups)
        {
            if (members.Count < 2) continue;
            foreach (var (word, dx, dy) in Extremes)
            {
                // Signed position along the direction: larger = more extreme.
                double Key(int i) => dx != 0 ? dx * objects[i].CenterX : dy * objects[i].CenterY;
                var ordered = members.OrderByDescending(Key).ToList();
                if (Key(ordered[0]) - Key(ordered[1]) >= o.ExtremeMargin)
                    options.Add(($"What character is on the {word} {noun}?", ordered[0]));
            }
        }
        if (options.Count == 0) return null;
        var (text, target) = rng.Pick(options);
        return new SceneQuestion(text, target);
    }
}
