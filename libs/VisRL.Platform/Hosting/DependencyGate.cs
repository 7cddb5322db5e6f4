using System.Diagnostics;
using System.Net.Sockets;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace VisRL.Platform.Hosting;

/// <summary>
/// Runs first at start-up: waits a bounded time for every <see cref="DependencyEndpoint"/> to take a
/// TCP connection, and otherwise stops the service with an error naming host, port and settings.
/// Without it, MassTransit would retry a dead broker forever while the service looked alive.
/// </summary>
internal sealed class DependencyGate(IEnumerable<DependencyEndpoint> endpoints, ILogger<DependencyGate> logger) : IHostedService
{
    internal static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var endpoint in endpoints)
        {
            await WaitAsync(endpoint, DefaultTimeout, cancellationToken);
            logger.LogDebug("{Dependency} is reachable", endpoint);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public static async Task WaitAsync(DependencyEndpoint endpoint, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var error = await TryConnectAsync(endpoint.Host, endpoint.Port, cancellationToken);
            if (error is null) return;
            if (clock.Elapsed >= timeout)
            {
                throw new DependencyUnavailableException(
                    $"{endpoint} is unreachable after {timeout.TotalSeconds:0} s ({error}). " +
                    $"Start the local stack with `./visrl stack up`, or check the settings {string.Join(", ", endpoint.Settings)}.");
            }
            await Task.Delay(TimeSpan.FromMilliseconds(250), cancellationToken);
        }
    }

    /// <summary>Null when a TCP connection opens within 2 s, else the reason.</summary>
    public static async Task<string?> TryConnectAsync(string host, int port, CancellationToken cancellationToken)
    {
        using var client = new TcpClient();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(2));
        try
        {
            await client.ConnectAsync(host, port, timeout.Token);
            return null;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return "connection timed out";
        }
        catch (SocketException e)
        {
            return e.SocketErrorCode switch
            {
                SocketError.ConnectionRefused => "connection refused",
                SocketError.HostNotFound or SocketError.NoData => "host not found",
                _ => e.Message,
            };
        }
    }
}
