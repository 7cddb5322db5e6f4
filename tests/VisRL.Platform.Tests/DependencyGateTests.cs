using System.Net;
using System.Net.Sockets;
using VisRL.Platform.Hosting;

namespace VisRL.Platform.Tests;

public class DependencyGateTests
{
    /// <summary>A port no server listens on.</summary>
    internal static int ClosedPort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    [Fact]
    public async Task AnOpenPortPasses()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            Assert.Null(await DependencyGate.TryConnectAsync("127.0.0.1", port, CancellationToken.None));
            await DependencyGate.WaitAsync(new DependencyEndpoint("Test server", "127.0.0.1", port), TimeSpan.FromSeconds(2), CancellationToken.None);
        }
        finally
        {
            listener.Stop();
        }
    }

    [Fact]
    public async Task AClosedPortFailsNamingServerHostPortAndSettings()
    {
        var port = ClosedPort();
        Assert.Equal("connection refused", await DependencyGate.TryConnectAsync("127.0.0.1", port, CancellationToken.None));
        var endpoint = new DependencyEndpoint("RabbitMQ broker", "127.0.0.1", port, "VISRL__MESSAGING__PORT");
        var error = await Assert.ThrowsAsync<DependencyUnavailableException>(
            () => DependencyGate.WaitAsync(endpoint, TimeSpan.FromSeconds(1), CancellationToken.None));
        Assert.Contains($"RabbitMQ broker at 127.0.0.1:{port} is unreachable", error.Message);
        Assert.Contains("connection refused", error.Message);
        Assert.Contains("VISRL__MESSAGING__PORT", error.Message);
    }
}
