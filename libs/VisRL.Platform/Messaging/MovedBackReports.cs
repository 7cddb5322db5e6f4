using System.Collections.Concurrent;
using System.Text.Json;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using VisRL.Contracts.V1;

namespace VisRL.Platform.Messaging;

/// <summary>
/// The <see cref="MovedBackHandled"/> reports the services publish, taken by a plain RabbitMQ client from a queue of
/// this listener's own (exclusive, gone with it) bound to the event's exchange, as long as the listener lives.
/// </summary>
public sealed class MovedBackReports : IAsyncDisposable
{
    /// <summary>The exchange MassTransit publishes the event to: its type's name, namespace and name joined by ':'.</summary>
    private static readonly string Exchange = $"{typeof(MovedBackHandled).Namespace}:{nameof(MovedBackHandled)}";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly IConnection _connection;
    private readonly IChannel _channel;
    private readonly ConcurrentDictionary<(string? MessageId, string MovedBackAt), MovedBackHandled> _handled = new();

    private MovedBackReports(IConnection connection, IChannel channel) => (_connection, _channel) = (connection, channel);

    internal static async Task<MovedBackReports> StartAsync(IConnection connection, CancellationToken cancellationToken)
    {
        var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
        var reports = new MovedBackReports(connection, channel);
        // Declared as MassTransit declares it, in case no service has published one yet.
        await channel.ExchangeDeclareAsync(Exchange, ExchangeType.Fanout, durable: true, autoDelete: false, cancellationToken: cancellationToken);
        var queue = await channel.QueueDeclareAsync("", durable: false, exclusive: true, autoDelete: true, cancellationToken: cancellationToken);
        await channel.QueueBindAsync(queue.QueueName, Exchange, "", cancellationToken: cancellationToken);
        var consumer = new AsyncEventingBasicConsumer(channel);
        consumer.ReceivedAsync += (_, delivery) =>
        {
            if (Read(delivery.Body.Span) is { } report) reports._handled.TryAdd((report.MessageId.ToString(), report.MovedBackAt), report);
            return Task.CompletedTask;
        };
        await channel.BasicConsumeAsync(queue.QueueName, autoAck: true, consumer, cancellationToken);
        return reports;
    }

    /// <summary>The (message id, move-back stamp) of each message reported handled so far.</summary>
    public IReadOnlySet<(string? MessageId, string MovedBackAt)> Handled() => _handled.Keys.ToHashSet();

    /// <summary>The report in a MassTransit envelope, or null for a body that is none (it is not ours to fail on).</summary>
    private static MovedBackHandled? Read(ReadOnlySpan<byte> body)
    {
        try
        {
            using var envelope = JsonDocument.Parse(body.ToArray());
            return envelope.RootElement.TryGetProperty("message", out var message) ? message.Deserialize<MovedBackHandled>(Json) : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _channel.DisposeAsync();
        await _connection.DisposeAsync();
    }
}
