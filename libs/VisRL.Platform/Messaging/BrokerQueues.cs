using System.Net.Http.Headers;
using System.Text.Json;

namespace VisRL.Platform.Messaging;

/// <summary>Consumers per queue from the RabbitMQ management API: tests and benchmarks wait on them before they publish.</summary>
public static class BrokerQueues
{
    /// <summary>From a local stack's broker (infra/stack.sh: 127.0.0.1, guest).</summary>
    public static async Task<Dictionary<string, int>> ConsumersAsync(int managementPort)
    {
        using var http = new HttpClient();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String("guest:guest"u8.ToArray()));
        return ParseConsumers(await http.GetStringAsync($"http://127.0.0.1:{managementPort}/api/queues?columns=name,consumers"));
    }

    /// <summary>
    /// Queue name → consumers from a /api/queues reply. The API has listed one queue twice right after
    /// its consumers started (a test run of 2026-11-23), so the rows of a name merge into their largest count.
    /// </summary>
    public static Dictionary<string, int> ParseConsumers(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.EnumerateArray()
            .Select(q => (Name: q.GetProperty("name").GetString()!, Consumers: q.TryGetProperty("consumers", out var c) ? c.GetInt32() : 0))
            .GroupBy(q => q.Name, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Max(q => q.Consumers), StringComparer.Ordinal);
    }
}
