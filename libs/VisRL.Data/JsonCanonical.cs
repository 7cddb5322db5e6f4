using System.Globalization;
using System.Text.Json.Nodes;

namespace VisRL.Data;

/// <summary>
/// Compares recorded configs with asked ones. PostgreSQL's jsonb reorders keys and may reprint
/// numbers, so equality is on meaning: keys in any order, numbers by value.
/// </summary>
internal static class JsonCanonical
{
    public static bool Same(JsonNode? a, JsonNode? b) => (a, b) switch
    {
        (null, null) => true,
        (JsonObject x, JsonObject y) => x.Count == y.Count && x.All(p => y.TryGetPropertyValue(p.Key, out var other) && Same(p.Value, other)),
        (JsonArray x, JsonArray y) => x.Count == y.Count && x.Zip(y).All(pair => Same(pair.First, pair.Second)),
        (JsonValue x, JsonValue y) => SameValue(x, y),
        _ => false,
    };

    private static bool SameValue(JsonValue x, JsonValue y)
    {
        string tx = x.ToJsonString(), ty = y.ToJsonString();
        if (tx == ty) return true;
        return decimal.TryParse(tx, NumberStyles.Float, CultureInfo.InvariantCulture, out var dx)
            && decimal.TryParse(ty, NumberStyles.Float, CultureInfo.InvariantCulture, out var dy)
            && dx == dy;
    }
}
