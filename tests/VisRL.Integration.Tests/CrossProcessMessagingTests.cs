using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using VisRL.Contracts.V1;
using VisRL.Platform.Hosting;
using VisRL.Platform.Messaging;
using VisRL.Platform.Persistence;
using Microsoft.EntityFrameworkCore;

namespace VisRL.Integration.Tests;

[Collection(StackCollection.Name)]
public class CrossProcessMessagingTests(TestStack stack)
{
    private static int FreePort()
    {
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    [Fact]
    public async Task AMessagePublishedHereIsConsumedByTheOrchestratorProcess()
    {
        // An empty database, migrated by the service itself at start.
        var database = await TestStack.CreateEmptyDatabaseAsync();
        var environment = stack.ServiceEnvironment(database);
        environment["VISRL__DATABASE__MIGRATEONSTART"] = "true";
        var healthPort = FreePort();
        environment["VISRL__SERVICE__HEALTHPORT"] = healthPort.ToString();
        using var orchestrator = ChildProcess.Start(ChildProcess.Dotnet(ChildProcess.ProjectDll("VisRL.Orchestrator", "VisRL.Orchestrator"), environment));

        var builder = TestStack.ServiceHost("integration-test");
        builder.AddVisRLMessaging();
        using var host = builder.Build();
        await host.StartAsync();
        try
        {
            var client = host.Services.GetRequiredService<IBus>()
                .CreateRequestClient<Ping>(new Uri("queue:orchestrator-ping"), RequestTimeout.After(s: 90));
            var ping = new Ping(Guid.NewGuid(), DateTimeOffset.UtcNow);
            // The queue may not exist until the orchestrator has started: the request waits in RabbitMQ
            // only once it does, so ask again until the service is up.
            Response<Pong>? pong = null;
            for (var attempt = 0; pong is null && attempt < 30; attempt++)
            {
                Assert.False(orchestrator.Process.HasExited, $"orchestrator exited:\n{orchestrator.Output}");
                try { pong = await client.GetResponse<Pong>(ping, timeout: RequestTimeout.After(s: 3)); }
                catch (RequestTimeoutException) { }
            }
            Assert.NotNull(pong);
            Assert.Equal(ping.PingId, pong.Message.PingId);
            Assert.Equal("orchestrator", pong.Message.Service);
            Assert.Equal(orchestrator.Process.Id, pong.Message.ProcessId);
            Assert.NotEqual(Environment.ProcessId, pong.Message.ProcessId);

            await using (var db = PersistenceExtensions.CreateVisRLDbContext(database))
                Assert.Empty(await db.Database.GetPendingMigrationsAsync());

            // Its readiness endpoint reports broker, database and blob storage healthy.
            using var http = new HttpClient();
            var ready = await http.GetAsync($"http://127.0.0.1:{healthPort}/health/ready");
            Assert.Equal(System.Net.HttpStatusCode.OK, ready.StatusCode);
            using var report = System.Text.Json.JsonDocument.Parse(await ready.Content.ReadAsStringAsync());
            Assert.Equal("Healthy", report.RootElement.GetProperty("status").GetString());
            var checks = report.RootElement.GetProperty("checks");
            foreach (var name in new[] { "database", "blobs", "masstransit-bus" })
                Assert.Equal("Healthy", checks.GetProperty(name).GetProperty("status").GetString());

            // Stopped on purpose (SIGTERM, as `docker compose stop` does), it ends cleanly and does not take its
            // own stop for a lost broker.
            using (var kill = System.Diagnostics.Process.Start("kill", ["-TERM", orchestrator.Process.Id.ToString()]))
                await kill.WaitForExitAsync();
            using var stopped = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await orchestrator.Process.WaitForExitAsync(stopped.Token);
            Assert.True(orchestrator.Process.ExitCode == 0, $"orchestrator exited {orchestrator.Process.ExitCode}:\n{orchestrator.Output}");
            Assert.DoesNotContain("lost the broker", orchestrator.Output);
        }
        finally
        {
            await host.StopAsync();
        }
    }
}
