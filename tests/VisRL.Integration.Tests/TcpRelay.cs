using System.Net;
using System.Net.Sockets;

namespace VisRL.Integration.Tests;

/// <summary>
/// A TCP relay in front of one of the stack's servers, for the outage tests: a service connects to
/// the server through <see cref="Port"/>, and <see cref="Cut"/> makes the server out of reach for it
/// (open connections are reset, new ones refused) until <see cref="Restore"/>, while the server
/// itself and every other client go on.
/// </summary>
public sealed class TcpRelay : IDisposable
{
    private readonly int _target;
    private readonly List<TcpClient> _open = [];
    private TcpListener? _listener;

    public TcpRelay(int targetPort)
    {
        _target = targetPort;
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        Port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        Restore();
    }

    public int Port { get; }

    public void Restore()
    {
        lock (_open)
        {
            if (_listener is not null) return;
            _listener = new TcpListener(IPAddress.Loopback, Port);
            _listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            _listener.Start();
            _ = AcceptAsync(_listener);
        }
    }

    public void Cut()
    {
        lock (_open)
        {
            _listener?.Stop();
            _listener = null;
            foreach (var client in _open)
            {
                try { client.Client?.LingerState = new LingerOption(true, 0); } // a reset, as when a server dies
                catch (ObjectDisposedException) { } // its pump closed it already
                client.Dispose();
            }
            _open.Clear();
        }
    }

    public void Dispose() => Cut();

    private async Task AcceptAsync(TcpListener listener)
    {
        while (true)
        {
            TcpClient client;
            try { client = await listener.AcceptTcpClientAsync(); }
            catch (Exception e) when (e is SocketException or ObjectDisposedException) { return; }
            var server = new TcpClient();
            try { await server.ConnectAsync(IPAddress.Loopback, _target); }
            catch (SocketException) { client.Dispose(); server.Dispose(); continue; }
            lock (_open)
            {
                if (_listener != listener) { client.Dispose(); server.Dispose(); return; }
                _open.Add(client);
                _open.Add(server);
            }
            _ = PumpAsync(client, server);
            _ = PumpAsync(server, client);
        }
    }

    private static async Task PumpAsync(TcpClient from, TcpClient to)
    {
        try { await from.GetStream().CopyToAsync(to.GetStream()); }
        catch (Exception e) when (e is IOException or ObjectDisposedException or SocketException or InvalidOperationException) { }
        finally
        {
            from.Dispose();
            to.Dispose();
        }
    }
}
