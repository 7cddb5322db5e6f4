using System.Text.Json;
using System.Text.Json.Nodes;

namespace VisRL.Orchestrator.Rounds;

/// <summary>
/// The config changes a failed iteration takes when it is resumed (`visrl run retry --set …`): only settings it has
/// not used yet, so that everything it keeps was made under the settings its record names. Before its pairs the
/// filter's thresholds, the training's settings and the batches' retry settings may change (a filter that kept no pairs
/// can be loosened); once training has begun, only where it is evaluated, while no evaluation of it is stored. Whether
/// it trains at all stays as it started: a run's iterations always do, and its next one waits on this one's training.
/// </summary>
public static class ResumeChanges
{
    // How an HTTP endpoint is reached, not which model answers: a moved or slow endpoint can be mended.
    private static readonly string[] Transport = ["baseUrl", "apiKeyVariable", "timeoutSeconds", "maxRetries", "maxConcurrency", "retryDelaySeconds"];
    private static readonly string[] Evaluation = ["training.evalDataset", "training.evalSplit", "training.evalItems"];

    /// <summary>What a resume at <paramref name="point"/> may change: settings, or sections with all they hold.</summary>
    public static IReadOnlyList<string> Changeable(ResumePoint point, bool evaluated) => point switch
    {
        ResumePoint.DataGeneration =>
        [
            "maxBatchAttempts", "stuckAfterSeconds", "thresholds.maxAnswer", "thresholds.minAnswer", "thresholds.maxBox", "thresholds.minBox",
            "thresholds.pairsPerItem", "training.dpo", .. Evaluation, .. Transport.Select(t => $"policy.{t}"), .. Transport.Select(t => $"judge.{t}"),
        ],
        ResumePoint.BoxStage or ResumePoint.AnswerStage or ResumePoint.Evaluation when !evaluated => Evaluation,
        _ => [],
    };

    /// <summary>
    /// <paramref name="configJson"/> with <paramref name="changes"/> (a JSON object) merged over it as RFC 7386 has it
    /// (an object merges into its section, null resets a setting to its default), and the settings that changed.
    /// </summary>
    /// <exception cref="ArgumentException">The changes are not a JSON object, name a setting that does not exist, give a
    /// value the round rejects, or change what the iteration has used already (named, with what may change instead).</exception>
    public static (RoundConfig Config, IReadOnlyList<string> Changed) Apply(string configJson, string changes, ResumePoint point, bool evaluated)
    {
        JsonObject patch;
        try { patch = JsonNode.Parse(changes) as JsonObject ?? throw new ArgumentException($"config changes must be a JSON object, not {changes}"); }
        catch (JsonException e) { throw new ArgumentException($"config changes are not valid JSON: {e.Message}", e); }

        var before = Canonical(RoundConfig.Parse(configJson));
        var config = RoundConfig.Parse(Merge((JsonObject)before.DeepClone(), patch).ToJsonString());
        var after = Canonical(config);
        if (Leaves(patch, "").FirstOrDefault(path => !Exists(after, path)) is { } unknown)
            throw new ArgumentException($"config changes: '{unknown}' is not a round setting");

        var changed = Differences(before, after, "").ToList();
        var allowed = Changeable(point, evaluated);
        var refused = changed.Where(path => !allowed.Any(a => path == a || path.StartsWith(a + ".", StringComparison.Ordinal))).ToList();
        if (refused.Count > 0)
            throw new ArgumentException($"{string.Join(", ", refused)} cannot change on a retry {Where(point)}: the iteration has used "
                + $"{(refused.Count == 1 ? "it" : "them")} already; start a new run to use other values ("
                + (allowed.Count == 0 ? "nothing may change here" : $"what may change here: {string.Join(", ", allowed)}") + ")");
        return (config, changed);
    }

    private static string Where(ResumePoint point) => point switch
    {
        ResumePoint.DataGeneration => "before its pairs",
        ResumePoint.BoxStage => "at DPO stage 1",
        ResumePoint.AnswerStage => "at DPO stage 2",
        _ => "at its evaluation",
    };

    /// <summary>Every setting written out (defaults included) under its JSON name, so that two configs compare setting by setting.</summary>
    private static JsonObject Canonical(RoundConfig config) => (JsonObject)JsonNode.Parse(config.ToJson())!;

    /// <summary>RFC 7386 merge patch; keys match in any casing, as the round reads its config.</summary>
    private static JsonObject Merge(JsonObject target, JsonObject patch)
    {
        foreach (var (name, value) in patch)
        {
            var key = Key(target, name) ?? name;
            if (value is null) target.Remove(key);
            else if (value is JsonObject section && target[key] is JsonObject existing) Merge(existing, section);
            else if (value is JsonObject fresh) target[key] = Merge([], fresh);
            else target[key] = value.DeepClone();
        }
        return target;
    }

    private static string? Key(JsonObject section, string name) =>
        section.Select(p => p.Key).FirstOrDefault(k => string.Equals(k, name, StringComparison.OrdinalIgnoreCase));

    private static IEnumerable<string> Leaves(JsonObject patch, string path) =>
        patch.SelectMany(p => p.Value is JsonObject { Count: > 0 } section ? Leaves(section, Join(path, p.Key)) : [Join(path, p.Key)]);

    private static bool Exists(JsonObject config, string path)
    {
        JsonNode? node = config;
        foreach (var name in path.Split('.'))
        {
            if (node is not JsonObject section || Key(section, name) is not { } key) return false;
            node = section[key];
        }
        return true;
    }

    private static IEnumerable<string> Differences(JsonNode? before, JsonNode? after, string path) =>
        before is JsonObject a && after is JsonObject b
            ? a.Select(p => p.Key).Union(b.Select(p => p.Key)).SelectMany(key => Differences(a[key], b[key], Join(path, key)))
            : JsonNode.DeepEquals(before, after) ? [] : [path];

    private static string Join(string path, string key) => path.Length == 0 ? key : $"{path}.{key}";
}
