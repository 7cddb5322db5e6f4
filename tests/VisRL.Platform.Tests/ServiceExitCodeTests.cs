using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using VisRL.Platform.Hosting;

namespace VisRL.Platform.Tests;

/// <summary>
/// The exit code a supervisor sees (RunVisRLAsync): a worker that fails stops the host, which .NET 10 reports as a
/// normal end; the service must still exit with 1, while a stop as asked stays 0. A bare web host on a free port.
/// </summary>
public class ServiceExitCodeTests
{
    private sealed class FailingWorker : BackgroundService
    {
        protected override async Task ExecuteAsync(CancellationToken stoppingToken)
        {
            await Task.Delay(100, stoppingToken);
            throw new InvalidOperationException("the bus could not be restarted: no answer");
        }
    }

    /// <summary>Waits for the host's stop; the stop itself comes from <see cref="StoppingWorker"/>.</summary>
    private sealed class WaitingWorker : BackgroundService
    {
        protected override Task ExecuteAsync(CancellationToken stoppingToken) => Task.Delay(Timeout.Infinite, stoppingToken);
    }

    private sealed class StoppingWorker(IHostApplicationLifetime lifetime) : BackgroundService
    {
        protected override async Task ExecuteAsync(CancellationToken stoppingToken)
        {
            await Task.Delay(100, stoppingToken);
            lifetime.StopApplication();
        }
    }

    private static async Task<int> RunAsync(Action<IServiceCollection> workers)
    {
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        workers(builder.Services);
        var app = builder.Build();
        return await app.RunVisRLAsync().WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task AFailedWorkerEndsTheServiceWithExitCode1()
    {
        var code = await RunAsync(s => s.AddHostedService<WaitingWorker>().AddHostedService<FailingWorker>());
        Assert.Equal(1, code);
    }

    [Fact]
    public async Task AStopAsAskedEndsWithExitCode0EvenWhenWorkersAreCancelled()
    {
        var code = await RunAsync(s => s.AddHostedService<WaitingWorker>().AddHostedService<StoppingWorker>());
        Assert.Equal(0, code);
    }

    [Fact]
    public async Task TheFailedWorkerIsNamedWithItsReason()
    {
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddHostedService<FailingWorker>();
        await using var app = builder.Build();
        await app.StartAsync();
        await app.WaitForShutdownAsync().WaitAsync(TimeSpan.FromSeconds(30));
        var (worker, error) = Assert.Single(ServiceHostExtensions.FailedWorkers(app.Services));
        Assert.Equal(nameof(FailingWorker), worker);
        Assert.Equal("the bus could not be restarted: no answer", error.Message);
    }
}
