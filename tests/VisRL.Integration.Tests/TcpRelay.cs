using System.Net;
using System.Net.Sockets;

namespace VisRL.Integration.Tests;

/// <summary>
/// A TCP relay in front of one of the stack's servers, for the outage tests: a service connects to
/// the server through <see cref="Port"/>, while the server itself and every other client go on.
/// <see cref="Cut"/> makes the server out of reach for it (open connections are reset, new ones
/// refused); <see cref="Freeze"/> makes it silent, as a network partition does (nothing passes either
/// way and nothing is closed: open connections hang, new ones are accepted and go nowhere); both last
/// until <see cref="Restore"/>.
/// </summary>
public sealed class TcpRelay : IDisposable
{
    private readonly int _target;
    private readonly List<TcpClient> _open = [];
    private TcpListener? _listener;
    private TaskCompletionSource _flowing = new(TaskCreationOptions.RunContinuationsAsynchronously);

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
            _flowing.TrySetResult();
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

    public void Freeze()
    {
        lock (_open)
        {
            if (_flowing.Task.IsCompleted) _flowing = new(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }

    public void Dispose() => Cut();

    /// <summary>Completes at once unless frozen, then at <see cref="Restore"/>.</summary>
    private Task Flowing()
    {
        lock (_open) return _flowing.Task;
    }

    private async Task AcceptAsync(TcpListener listener)
    {
        while (true)
        {
            TcpClient client;
            try { client = await listener.AcceptTcpClientAsync(); }
            catch (Exception e) when (e is SocketException or ObjectDisposedException) { return; }
            _ = ConnectAsync(listener, client);
        }
    }

    private async Task ConnectAsync(TcpListener listener, TcpClient client)
    {
        await Flowing();
        var server = new TcpClient();
        try { await server.ConnectAsync(IPAddress.Loopback, _target); }
        catch (SocketException) { client.Dispose(); server.Dispose(); return; }
        lock (_open)
        {
            if (_listener != listener) { client.Dispose(); server.Dispose(); return; }
            _open.Add(client);
            _open.Add(server);
        }
        _ = PumpAsync(client, server);
        _ = PumpAsync(server, client);
    }

    private async Task PumpAsync(TcpClient from, TcpClient to)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                var read = await from.GetStream().ReadAsync(buffer);
                await Flowing(); // frozen: the bytes, and the close, wait here
                if (read == 0) return;
                await to.GetStream().WriteAsync(buffer.AsMemory(0, read));
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or SocketException or InvalidOperationException) { }
        finally
        {
            from.Dispose();
            to.Dispose();
        }
    }
}
