using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace VisRL.Platform.Messaging;

/// <summary>
/// BusWatchdog's finding as a readiness check (/health/ready): a process whose own pings go unanswered while
/// MassTransit reads its bus as healthy consumes nothing, which no bus health check can see.
/// </summary>
internal sealed class BusSelfCheck : IHealthCheck
{
    public const string Name = "bus-self-check";

    private volatile string? _problem;

    public void Clear() => _problem = null;

    public void Report(string problem) => _problem = problem;

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(_problem is { } problem ? HealthCheckResult.Unhealthy(problem) : HealthCheckResult.Healthy());
}
