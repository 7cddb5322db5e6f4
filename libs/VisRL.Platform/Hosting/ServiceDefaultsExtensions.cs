using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.Memory;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using VisRL.Platform.Configuration;
using VisRL.Platform.Logging;

namespace VisRL.Platform.Hosting;

public static class ServiceDefaultsExtensions
{
    /// <summary>
    /// What every service host starts with: settings (appsettings.json + VISRL__ variables, all
    /// validated at start), Serilog, health checks, and the service's name.
    /// </summary>
    public static IHostApplicationBuilder AddVisRLServiceDefaults(this IHostApplicationBuilder builder, string serviceName)
    {
        ExitCleanlyOnSettingsErrors();
        // Lowest precedence: appsettings.json and VISRL__SERVICE__NAME may still rename a replica.
        builder.Configuration.Sources.Insert(0, new MemoryConfigurationSource
        {
            InitialData = new Dictionary<string, string?> { ["Service:Name"] = serviceName },
        });
        builder.AddVisRLConfiguration();
        // Every platform section is known to every service, so one shared .env file fits all of them.
        builder.Services.AddVisRLSettings<ServiceOptions>(builder.Configuration);
        builder.Services.AddVisRLSettings<TorchOptions>(builder.Configuration);
        builder.Services.AddVisRLSettings<MessagingOptions>(builder.Configuration);
        builder.Services.AddVisRLSettings<DatabaseOptions>(builder.Configuration);
        builder.Services.AddVisRLSettings<BlobOptions>(builder.Configuration);
        builder.AddVisRLLogging();
        builder.Services.AddHealthChecks();
        return builder;
    }

    /// <summary>
    /// Settings are read while the host is being built too (the transport, the log level), before
    /// RunVisRLAsync can catch anything: such an error ends the process with its one-line message
    /// and exit code 1, not a crash dump.
    /// </summary>
    private static void ExitCleanlyOnSettingsErrors()
    {
        AppDomain.CurrentDomain.UnhandledException += (_, e) =>
        {
            if (e.ExceptionObject is not (OptionsValidationException or DependencyUnavailableException)) return;
            Console.Error.WriteLine($"error: {((Exception)e.ExceptionObject).Message}");
            Environment.Exit(1);
        };
    }

    /// <summary>Kestrel serves health only, on Service:HealthHost:HealthPort.</summary>
    public static WebApplicationBuilder UseVisRLHealthEndpoint(this WebApplicationBuilder builder)
    {
        var service = builder.Configuration.GetVisRLSettings<ServiceOptions>();
        builder.WebHost.UseUrls($"http://{service.HealthHost}:{service.HealthPort}");
        return builder;
    }

    /// <summary>/health/live: the process runs. /health/ready: broker, database and blob storage answer, and the bus its own pings.</summary>
    public static WebApplication MapVisRLHealth(this WebApplication app)
    {
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false });
        app.MapHealthChecks("/health/ready", new HealthCheckOptions
        {
            Predicate = check => check.Tags.Contains("ready"),
            ResponseWriter = WriteHealthReport,
        });
        return app;
    }

    /// <summary>{"status":"Healthy","checks":{"database":{"status":"Healthy","description":null},…}}</summary>
    private static Task WriteHealthReport(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsJsonAsync(new
        {
            status = report.Status.ToString(),
            checks = report.Entries.ToDictionary(e => e.Key, e => new { status = e.Value.Status.ToString(), description = e.Value.Description }),
        });
    }
}
