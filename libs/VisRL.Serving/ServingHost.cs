using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace VisRL.Serving;

/// <summary>The `visrl serve` web application: Kestrel on host:port (0 = any free port) with the request-size limit, and the OpenAI routes.</summary>
public static class ServingHost
{
    public static WebApplication Build(TinyChatModel model, ServingOptions options, string host, int port, LogLevel logLevel = LogLevel.Warning)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders().AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(logLevel);
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = options.MaxRequestBytes);
        builder.WebHost.UseUrls($"http://{host}:{port}");
        var app = builder.Build();
        app.Use(OpenAiEndpoints.UnknownRouteErrors);
        app.MapVisRLOpenAi(model, options);
        return app;
    }

    /// <summary>The address the started app listens on (resolves port 0).</summary>
    public static string Address(this WebApplication app) =>
        app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault()
        ?? throw new InvalidOperationException("the server has no address; start it first");
}
