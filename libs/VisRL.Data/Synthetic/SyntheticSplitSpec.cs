using System.Globalization;
using System.Text.Json.Nodes;
using VisRL.Imaging.Synthetic;

namespace VisRL.Data.Synthetic;

/// <summary>
/// The generator knobs a user may set, and the seed: everything that decides item i of a
/// synthetic split (the rest are <see cref="SyntheticOptions"/> defaults). Recorded per split.
/// </summary>
public sealed record SyntheticSplitSpec
{
    /// <summary>Bumped if the generator's output for the same knobs ever changes.</summary>
    public const string GeneratorVersion = "synthetic-v1";

    public ulong Seed { get; init; }
    public SyntheticOptions Options { get; init; } = new();

    /// <summary>
    /// Knobs on top of the defaults; null leaves a default. <paramref name="families"/> is
    /// "name=weight,name=weight" (a bare name weighs 1).
    /// </summary>
    public static SyntheticSplitSpec Create(ulong seed, int? sceneSize = null, int? minObjects = null, int? maxObjects = null,
        int? glyphScale = null, string? families = null, int? clutter = null)
    {
        var d = new SyntheticOptions();
        var options = d with
        {
            SceneSize = sceneSize ?? d.SceneSize,
            MinObjects = minObjects ?? d.MinObjects,
            MaxObjects = maxObjects ?? d.MaxObjects,
            GlyphScale = glyphScale ?? d.GlyphScale,
            FamilyWeights = families is null ? d.FamilyWeights : ParseFamilies(families),
            ClutterCount = clutter ?? d.ClutterCount,
        };
        // A larger glyph needs larger shapes; follow the option's own rule instead of failing.
        if (options.MinObjectSize < 18 * options.GlyphScale)
            options = options with { MinObjectSize = 18 * options.GlyphScale, MaxObjectSize = Math.Max(options.MaxObjectSize, 18 * options.GlyphScale + 16) };
        options.Validate();
        return new SyntheticSplitSpec { Seed = seed, Options = options };
    }

    public static IReadOnlyDictionary<string, double> ParseFamilies(string text)
    {
        var weights = new SortedDictionary<string, double>(StringComparer.Ordinal);
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var pieces = part.Split('=', 2, StringSplitOptions.TrimEntries);
            double weight = 1;
            if (pieces.Length == 2 && (!double.TryParse(pieces[1], NumberStyles.Float, CultureInfo.InvariantCulture, out weight) || weight < 0 || !double.IsFinite(weight)))
                throw new ArgumentException($"--families: '{part}' needs a non-negative number after '='");
            if (!QuestionFamily.All.Contains(pieces[0]))
                throw new ArgumentException($"--families: unknown family '{pieces[0]}' (known: {string.Join(", ", QuestionFamily.All)})");
            weights[pieces[0]] = weight;
        }
        if (weights.Count == 0) throw new ArgumentException("--families: name at least one family");
        return weights;
    }

    /// <summary>What goes into the dataset's ConfigJson for this split.</summary>
    public JsonObject ToJson()
    {
        var families = new JsonObject();
        foreach (var (family, weight) in Options.FamilyWeights.OrderBy(f => f.Key, StringComparer.Ordinal))
            families[family] = weight;
        return new JsonObject
        {
            ["generator"] = GeneratorVersion,
            // A string: jsonb keeps any number, but other readers lose ulong precision past 2^53.
            ["seed"] = Seed.ToString(CultureInfo.InvariantCulture),
            ["scene_size"] = Options.SceneSize,
            ["min_objects"] = Options.MinObjects,
            ["max_objects"] = Options.MaxObjects,
            ["min_object_size"] = Options.MinObjectSize,
            ["max_object_size"] = Options.MaxObjectSize,
            ["glyph_scale"] = Options.GlyphScale,
            ["clutter"] = Options.ClutterCount,
            ["families"] = families,
        };
    }

    /// <summary>The spec <see cref="ToJson"/> wrote; null for another generator version.</summary>
    public static SyntheticSplitSpec? FromJson(JsonObject json)
    {
        if ((string?)json["generator"] != GeneratorVersion) return null;
        var d = new SyntheticOptions();
        int Int(string key, int fallback) => json[key] is JsonValue v ? v.GetValue<int>() : fallback;
        var families = json["families"] is JsonObject f ? f.ToDictionary(p => p.Key, p => p.Value!.GetValue<double>()) : d.FamilyWeights;
        var options = d with
        {
            SceneSize = Int("scene_size", d.SceneSize), MinObjects = Int("min_objects", d.MinObjects), MaxObjects = Int("max_objects", d.MaxObjects),
            MinObjectSize = Int("min_object_size", d.MinObjectSize), MaxObjectSize = Int("max_object_size", d.MaxObjectSize),
            GlyphScale = Int("glyph_scale", d.GlyphScale), ClutterCount = Int("clutter", d.ClutterCount), FamilyWeights = families,
        };
        return new SyntheticSplitSpec { Seed = ulong.Parse((string)json["seed"]!, CultureInfo.InvariantCulture), Options = options };
    }
}
