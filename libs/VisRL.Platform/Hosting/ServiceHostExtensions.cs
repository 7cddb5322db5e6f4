using Microsoft.AspNetCore.Builder;
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
    /// Runs the service; a bad setting or an unreachable server ends it with exit code 1 and one
    /// clear line instead of a stack trace.
    /// </summary>
    public static async Task<int> RunVisRLAsync(this WebApplication app)
    {
        try
        {
            await app.RunAsync();
            return 0;
        }
        catch (Exception e) when (e is DependencyUnavailableException or OptionsValidationException)
        {
            app.Logger.LogCritical("Cannot start: {Reason}", e.Message);
            await Console.Error.WriteLineAsync($"error: {e.Message}");
            return 1;
        }
    }
}
