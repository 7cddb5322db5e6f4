using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace VisRL.Platform.Hosting;

public static class DependencyGateExtensions
{
    /// <summary>
    /// Adds a server the service needs at start. The gate is registered on the first call, so it
    /// starts before hosted services added later (the MassTransit bus among them).
    /// </summary>
    public static IServiceCollection AddStartupDependency(this IServiceCollection services,
        Func<IServiceProvider, DependencyEndpoint> endpoint)
    {
        if (!services.Any(d => d.ImplementationType == typeof(DependencyGate)))
            services.AddHostedService<DependencyGate>();
        services.AddSingleton<DependencyEndpoint>(endpoint); // factory: reads options when resolved
        return services;
    }
}
