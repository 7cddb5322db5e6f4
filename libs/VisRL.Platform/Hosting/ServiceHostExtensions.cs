using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using VisRL.Platform.Blobs;
using VisRL.Platform.Persistence;

namespace VisRL.Platform.Hosting;

public static class ServiceHostExtensions
{
    /// <summary>
    /// A workflow service: defaults (settings, Serilog, health), PostgreSQL, blob storage and a
    /// health endpoint. The caller adds messaging with its own consumers.
    /// </summary>
    public static WebApplicationBuilder AddVisRLService(this WebApplicationBuilder builder, string serviceName)
    {
        builder.AddVisRLServiceDefaults(serviceName);
        builder.AddVisRLPersistence();
        builder.AddVisRLBlobs();
        builder.UseVisRLHealthEndpoint();
        return builder;
    }

    /// <summary>
    /// Runs the service. Its exit code tells a supervisor (compose's restart policy, infra/services.sh) whether it
    /// ended as asked: 0 after a stop signal; 1 with one clear line instead of a stack trace for a bad setting or
    /// an unreachable server at start, and 1 when one of its background workers failed and so stopped the host
    /// (which .NET 10 reports as a normal end).
    /// </summary>
    public static async Task<int> RunVisRLAsync(this WebApplication app)
    {
        try
        {
            await app.StartAsync();
            await app.WaitForShutdownAsync();
        }
        catch (Exception e) when (e is DependencyUnavailableException or OptionsValidationException)
        {
            app.Logger.LogCritical("Cannot start: {Reason}", e.Message);
            await Console.Error.WriteLineAsync($"error: {e.Message}");
            await app.DisposeAsync();
            return 1;
        }
        var failed = FailedWorkers(app.Services);
        foreach (var (worker, error) in failed)
        {
            app.Logger.LogCritical("Stopped because {Worker} failed: {Reason}", worker, error.Message);
            await Console.Error.WriteLineAsync($"error: {worker} failed: {error.Message}");
        }
        await app.DisposeAsync();
        return failed.Count == 0 ? 0 : 1;
    }

    /// <summary>The background workers whose ExecuteAsync ended with an exception (a cancellation at shutdown is no failure).</summary>
    internal static IReadOnlyList<(string Worker, Exception Error)> FailedWorkers(IServiceProvider services) =>
        services.GetServices<IHostedService>().OfType<BackgroundService>()
            .Where(w => w.ExecuteTask is { IsFaulted: true })
            .Select(w => (w.GetType().Name, w.ExecuteTask!.Exception!.GetBaseException()))
            .ToList();
}
