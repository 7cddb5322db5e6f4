using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using VisRL.Platform.Persistence.Entities;

namespace VisRL.Data;

/// <summary>
/// Finds or creates a dataset and records how each of its splits was made in
/// <see cref="Dataset.ConfigJson"/> as <c>{"splits": {"sft": {...}, "test": {...}}}</c>, so a
/// split can be reproduced, and a rerun that would mix differently made items into it is refused.
/// </summary>
public static class DatasetRegistry
{
    /// <param name="distinctFromOtherSplits">Refuse a config that another split already uses
    /// (synthetic splits: the same knobs and seed would repeat the other split's items).</param>
    public static async Task<Guid> EnsureSplitAsync(DatasetStorage storage, string name, string source, string split,
        JsonObject splitConfig, bool distinctFromOtherSplits, CancellationToken cancellationToken)
    {
        for (int attempt = 0; ; attempt++)
        {
            await using var db = storage.CreateDb();
            var dataset = await db.Datasets.SingleOrDefaultAsync(d => d.Name == name, cancellationToken);
            try
            {
                if (dataset is null)
                {
                    dataset = new Dataset
                    {
                        Id = Guid.NewGuid(), Name = name, Source = source, CreatedAt = DateTimeOffset.UtcNow,
                        ConfigJson = new JsonObject { ["splits"] = new JsonObject { [split] = splitConfig.DeepClone() } }.ToJsonString(),
                    };
                    db.Datasets.Add(dataset);
                }
                else if (AddSplit(dataset, source, split, splitConfig, distinctFromOtherSplits) is { } config)
                {
                    dataset.ConfigJson = config;
                }
                await db.SaveChangesAsync(cancellationToken);
                return dataset.Id;
            }
            catch (DbUpdateException e) when (attempt == 0 && e.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
            {
                // Another process created the dataset between our read and write: read it again.
            }
        }
    }

    /// <summary>E.g. "seed recorded "5", asked "6"; clutter recorded 40, asked 3".</summary>
    private static string Differences(JsonNode recorded, JsonObject asked)
    {
        var old = recorded as JsonObject ?? [];
        var keys = old.Select(p => p.Key).Union(asked.Select(p => p.Key)).Where(k => !JsonCanonical.Same(old[k], asked[k]));
        return string.Join("; ", keys.Select(k => $"{k} recorded {old[k]?.ToJsonString() ?? "nothing"}, asked {asked[k]?.ToJsonString() ?? "nothing"}"));
    }

    /// <summary>The new ConfigJson when the split is new; null when the split is recorded with this very config.</summary>
    private static string? AddSplit(Dataset dataset, string source, string split, JsonObject splitConfig, bool distinct)
    {
        if (dataset.Source != source)
            throw new DatasetConflictException($"dataset '{dataset.Name}' holds {dataset.Source} items; it cannot take {source} items. Choose another --name.");
        var root = JsonNode.Parse(dataset.ConfigJson) as JsonObject ?? [];
        var splits = root["splits"] as JsonObject ?? [];
        if (splits[split] is { } recorded)
        {
            if (JsonCanonical.Same(recorded, splitConfig)) return null;
            throw new DatasetConflictException(
                $"dataset '{dataset.Name}' split '{split}' was made with other settings: {Differences(recorded, splitConfig)}. " +
                "Rerun with the recorded settings, or choose another --name or --split.");
        }
        if (distinct && splits.FirstOrDefault(s => JsonCanonical.Same(s.Value, splitConfig)) is { Key: { } twin })
            throw new DatasetConflictException(
                $"dataset '{dataset.Name}' split '{twin}' was made with the same settings and seed; split '{split}' would repeat its items. Use another --seed.");
        splits[split] = splitConfig.DeepClone();
        root["splits"] = splits.DeepClone();
        return root.ToJsonString();
    }
}
