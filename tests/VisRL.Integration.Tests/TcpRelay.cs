using System.Net;
using System.Net.Sockets;

namespace VisRL.Integration.Tests;

/// <summary>
/// A TCP relay in front of one of the stack's servers, for the outage tests: a service connects to
/// the server through <see cref="Port"/>, while the server itself and every other client go on.
/// <see cref="Cut"/> makes the server out of reach for it (open connections are reset, new ones
/// refused); <see cref="Freeze"/> makes it silent, as a network partition does (nothing passes either
/// way and nothing is closed: open connections hang, new ones are accepted and go nowhere);
/// <see cref="Deafen"/> holds only the server's replies, so what a client sends is done but it never
/// hears so (a commit whose outcome a client cannot know). Each lasts until <see cref="Restore"/>.
/// <see cref="Throttle"/> makes the link slow but moving, both ways, until it is called with 0.
/// </summary>
public sealed class TcpRelay : IDisposable
{
    private readonly int _target;
    private readonly List<TcpClient> _open = [];
    private TcpListener? _listener;
    private TaskCompletionSource _toServer = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource _toClient = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile int _bytesPerSecond;

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
            _toServer.TrySetResult();
            _toClient.TrySetResult();
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
            if (_toServer.Task.IsCompleted) _toServer = new(TaskCreationOptions.RunContinuationsAsynchronously);
            if (_toClient.Task.IsCompleted) _toClient = new(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }

    public void Deafen()
    {
        lock (_open)
        {
            if (_toClient.Task.IsCompleted) _toClient = new(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }

    /// <summary>Each direction of each connection passes at most <paramref name="bytesPerSecond"/> (0: no limit).</summary>
    public void Throttle(int bytesPerSecond) => _bytesPerSecond = bytesPerSecond;

    public void Dispose() => Cut();

    /// <summary>Completes at once while bytes flow that way, else at <see cref="Restore"/>.</summary>
    private Task Flowing(bool toServer)
    {
        lock (_open) return toServer ? _toServer.Task : _toClient.Task;
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
        await Flowing(toServer: true);
        var server = new TcpClient();
        try { await server.ConnectAsync(IPAddress.Loopback, _target); }
        catch (SocketException) { client.Dispose(); server.Dispose(); return; }
        lock (_open)
        {
            if (_listener != listener) { client.Dispose(); server.Dispose(); return; }
            _open.Add(client);
            _open.Add(server);
        }
        _ = PumpAsync(client, server, toServer: true);
        _ = PumpAsync(server, client, toServer: false);
    }

    private async Task PumpAsync(TcpClient from, TcpClient to, bool toServer)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                var read = await from.GetStream().ReadAsync(buffer);
                await Flowing(toServer); // held: the bytes, and the close, wait here
                if (read == 0) return;
                for (var sent = 0; sent < read;)
                {
                    // A twentieth of a second's worth at a time, so the bytes keep moving at the rate.
                    var rate = _bytesPerSecond;
                    var chunk = rate == 0 ? read - sent : Math.Min(read - sent, Math.Max(1, rate / 20));
                    await to.GetStream().WriteAsync(buffer.AsMemory(sent, chunk));
                    sent += chunk;
                    if (rate != 0) await Task.Delay(50);
                }
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
