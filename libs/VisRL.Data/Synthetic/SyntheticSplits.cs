using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using VisRL.Imaging.Synthetic;

namespace VisRL.Data.Synthetic;

/// <summary>The generator behind a stored synthetic split, rebuilt from what the dataset recorded (<see cref="SyntheticSplitSpec.ToJson"/>).</summary>
public static class SyntheticSplits
{
    /// <summary>
    /// The generator that made <paramref name="split"/> of <paramref name="dataset"/>; null when the
    /// dataset is not synthetic or was made by another generator version (its items cannot be remade).
    /// </summary>
    public static async Task<SyntheticGenerator?> GeneratorAsync(DatasetStorage storage, string dataset, string split, CancellationToken cancellationToken = default)
    {
        await using var db = storage.CreateDb();
        var row = await db.Datasets.AsNoTracking().Where(d => d.Name == dataset).Select(d => new { d.Source, d.ConfigJson }).SingleOrDefaultAsync(cancellationToken);
        if (row is null || row.Source != "synthetic") return null;
        return JsonNode.Parse(row.ConfigJson)?["splits"]?[split] is JsonObject config && FromJson(config) is { } spec ? new SyntheticGenerator(spec.Options, spec.Seed) : null;
    }

    /// <summary>The spec <see cref="SyntheticSplitSpec.ToJson"/> wrote; null for another generator version.</summary>
    public static SyntheticSplitSpec? FromJson(JsonObject json)
    {
        if ((string?)json["generator"] != SyntheticSplitSpec.GeneratorVersion) return null;
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
