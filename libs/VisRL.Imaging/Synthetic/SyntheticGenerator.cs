using VisRL.Imaging.Geometry;

namespace VisRL.Imaging.Synthetic;

/// <summary>
/// The synthetic focus benchmark (DESIGN.md §5). Item <c>i</c> of a split depends only on
/// (options, seed, i): any item can be regenerated alone, in any order, on any machine.
/// </summary>
public sealed class SyntheticGenerator
{
    private const int MaxLayoutAttempts = 200;
    private readonly SceneRenderer _renderer;
    private readonly (string Family, double Cumulative)[] _families;

    public SyntheticGenerator(SyntheticOptions? options = null, ulong seed = 0)
    {
        Options = options ?? new SyntheticOptions();
        Options.Validate();
        Seed = seed;
        _renderer = new SceneRenderer(Options, seed);
        double total = 0;
        _families = QuestionFamily.All
            .Where(f => Options.FamilyWeights.TryGetValue(f, out double w) && w > 0)
            .Select(f => (f, total += Options.FamilyWeights[f]))
            .ToArray();
        for (int i = 0; i < _families.Length; i++) _families[i].Cumulative /= total;
    }

    public SyntheticOptions Options { get; }
    public ulong Seed { get; }

    public SyntheticItem Generate(long index)
    {
        var (family, objects, question, rng) = Plan(index);
        var image = _renderer.Render(objects, rng);
        var target = objects[question.TargetIndex].Bounds;
        int pad = Options.BoxPadding, size = Options.SceneSize;
        var box = Box.FromPixels(target.X - pad, target.Y - pad, target.Right + pad, target.Bottom + pad, size, size).Clamp();
        return new SyntheticItem(image, question.Text, objects[question.TargetIndex].Glyph.ToString(), box, family, Seed, index, objects, question.TargetIndex);
    }

    /// <summary>Item <paramref name="index"/>'s question and objects without rendering it (as <c>Generate(index)</c> has them, far cheaper).</summary>
    public (string Question, IReadOnlyList<SceneObject> Objects) Layout(long index)
    {
        var plan = Plan(index);
        return (plan.Question.Text, plan.Objects);
    }

    private (string Family, IReadOnlyList<SceneObject> Objects, SceneQuestion Question, Xoshiro256 Rng) Plan(long index)
    {
        var rng = new Xoshiro256(SplitMix64.Derive(Seed, index));
        string family = PickFamily(rng.NextDouble());
        for (int attempt = 0; attempt < MaxLayoutAttempts; attempt++)
        {
            var objects = SceneLayout.Place(Options, rng);
            if (objects.Count < 3) continue;
            if (QuestionBuilder.Build(family, objects, Options, rng) is { } question) return (family, objects, question, rng);
        }
        throw new InvalidOperationException($"no scene supports a '{family}' question after {MaxLayoutAttempts} layouts; loosen the options (more objects, colors or shapes)");
    }

    public IEnumerable<SyntheticItem> Generate(long start, int count)
    {
        for (long i = start; i < start + count; i++) yield return Generate(i);
    }

    private string PickFamily(double u)
    {
        foreach (var (family, cumulative) in _families)
            if (u < cumulative) return family;
        return _families[^1].Family;
    }
}
