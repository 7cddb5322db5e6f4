using System.Net.Http.Headers;
using System.Text.Json;
using VisRL.Platform.Configuration;

namespace VisRL.Platform.Messaging;

/// <summary>Queues from the RabbitMQ management API: tests and benchmarks wait on their consumers, `visrl errors` finds the _error queues.</summary>
public static class BrokerQueues
{
    /// <summary>Consumers per queue of a local stack's broker (infra/stack.sh: 127.0.0.1, guest).</summary>
    public static async Task<Dictionary<string, int>> ConsumersAsync(int managementPort) =>
        ParseConsumers(await GetQueuesAsync(new MessagingOptions { ManagementPort = managementPort }, "name,consumers", CancellationToken.None));

    /// <summary>The names of the queues in the settings' virtual host.</summary>
    public static async Task<List<string>> NamesAsync(MessagingOptions messaging, CancellationToken cancellationToken) =>
        [.. ParseConsumers(await GetQueuesAsync(messaging, "name", cancellationToken)).Keys.Order(StringComparer.Ordinal)];

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

    private static async Task<string> GetQueuesAsync(MessagingOptions messaging, string columns, CancellationToken cancellationToken)
    {
        var url = $"http://{messaging.Host}:{messaging.ManagementPort}/api/queues/{Uri.EscapeDataString(messaging.VirtualHost)}?columns={columns}";
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{messaging.Username}:{messaging.Password}")));
        HttpResponseMessage response;
        try
        {
            response = await http.GetAsync(url, cancellationToken);
        }
        catch (HttpRequestException e)
        {
            throw new InvalidOperationException($"the RabbitMQ management API at {messaging.Host}:{messaging.ManagementPort} is unreachable ({e.Message}); " +
                $"is the management plugin on, and is {SettingKey.ToEnvironment("Messaging:ManagementPort")} its port?", e);
        }
        using (response)
        {
            if (!response.IsSuccessStatusCode)
                throw new InvalidOperationException($"the RabbitMQ management API at {messaging.Host}:{messaging.ManagementPort} answered {(int)response.StatusCode} {response.ReasonPhrase}" +
                    (response.StatusCode == System.Net.HttpStatusCode.Unauthorized ? $" for user '{messaging.Username}'" : $" for {url}"));
            return await response.Content.ReadAsStringAsync(cancellationToken);
        }
    }
}
