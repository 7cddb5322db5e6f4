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
        return JsonNode.Parse(row.ConfigJson)?["splits"]?[split] is JsonObject config && SyntheticSplitSpec.FromJson(config) is { } spec ? new SyntheticGenerator(spec.Options, spec.Seed) : null;
    }
}
