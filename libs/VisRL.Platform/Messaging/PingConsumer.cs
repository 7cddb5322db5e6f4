using System.Diagnostics;
using MassTransit;
using Microsoft.Extensions.Options;
using VisRL.Contracts.V1;
using VisRL.Platform.Configuration;

namespace VisRL.Platform.Messaging;

/// <summary>Answers <see cref="Ping"/> with who this replica is (smoke tests, doctor).</summary>
public sealed class PingConsumer(IOptions<ServiceOptions> service) : IConsumer<Ping>
{
    public Task Consume(ConsumeContext<Ping> context) =>
        context.RespondAsync(new Pong(context.Message.PingId, service.Value.Name, Environment.MachineName,
            Environment.ProcessId, DateTimeOffset.UtcNow));
}
