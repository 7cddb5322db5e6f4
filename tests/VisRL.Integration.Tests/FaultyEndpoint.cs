using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;

namespace VisRL.Integration.Tests;

/// <summary>
/// A deliberately bad chat-completions endpoint for the fault tests (the fault is the point, so this
/// one is the test's own): each request goes to <see cref="Handler"/> with its mode (the first path
/// segment, e.g. /dead/v1/chat/completions → "dead") and the text of its messages.
/// </summary>
public sealed class FaultyEndpoint : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly CancellationTokenSource _stop = new();

    public FaultyEndpoint(Func<string, string, Task<(int Status, string Body)>> handler)
    {
        Handler = handler;
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        Port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _ = Task.Run(LoopAsync);
    }

    public int Port { get; }
    public Func<string, string, Task<(int Status, string Body)>> Handler { get; }

    /// <summary>Every request: its mode and its messages' text.</summary>
    public ConcurrentQueue<(string Mode, string Text)> Requests { get; } = new();

    public string BaseUrl(string mode) => $"http://127.0.0.1:{Port}/{mode}/v1";

    /// <summary>A chat.completion body with one choice holding <paramref name="content"/>.</summary>
    public static string Completion(string content) => new JsonObject
    {
        ["id"] = "chatcmpl-fault", ["object"] = "chat.completion", ["created"] = 0, ["model"] = "fault",
        ["choices"] = new JsonArray(new JsonObject { ["index"] = 0, ["message"] = new JsonObject { ["role"] = "assistant", ["content"] = content }, ["finish_reason"] = "stop" }),
    }.ToJsonString();

    private async Task LoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            HttpListenerContext context;
            try { context = await _listener.GetContextAsync(); }
            catch (Exception) when (_stop.IsCancellationRequested) { return; }
            catch (HttpListenerException) { return; }
            _ = Task.Run(() => AnswerAsync(context));
        }
    }

    private async Task AnswerAsync(HttpListenerContext context)
    {
        try
        {
            var mode = context.Request.Url!.AbsolutePath.Split('/', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault() ?? "";
            using var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8);
            var text = MessagesText(await reader.ReadToEndAsync());
            Requests.Enqueue((mode, text));
            var (status, body) = await Handler(mode, text);
            var bytes = Encoding.UTF8.GetBytes(body);
            context.Response.StatusCode = status;
            context.Response.ContentType = "application/json";
            await context.Response.OutputStream.WriteAsync(bytes);
            context.Response.Close();
        }
        catch (Exception) when (_stop.IsCancellationRequested) { }
        catch (HttpListenerException) { } // the client gave up (its timeout): nothing to answer
    }

    private static string MessagesText(string body)
    {
        var messages = JsonNode.Parse(body)?["messages"]?.AsArray() ?? [];
        return string.Join('\n', messages.Select(m => m?["content"] switch
        {
            JsonValue v => v.GetValue<string>(),
            JsonArray parts => string.Join(' ', parts.Select(p => (string?)p?["text"]).OfType<string>()),
            _ => "",
        }));
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Close();
    }
}
