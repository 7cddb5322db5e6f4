using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Text;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using VisRL.Contracts.V1;
using VisRL.Orchestrator;
using VisRL.Platform.Configuration;
using VisRL.Platform.Hosting;
using VisRL.Platform.Messaging;
using VisRL.Platform.Persistence;
using VisRL.Platform.Persistence.Entities;

namespace VisRL.Integration.Tests;

/// <summary>
/// Commands (ICommandMessage) go out mandatory, on the real RabbitMQ: on a broker where their service has never
/// run (a virtual host of the test's own, so no queue of another test is bound) one comes back instead of vanishing.
/// The CLI then names the service to start; the Orchestrator's outbox keeps the saga's commands, and its relay sends
/// them once their queue exists.
/// </summary>
[Collection(StackCollection.Name)]
public class UnroutedCommandsTests(TestStack stack) : IAsyncLifetime
{
    private readonly string _virtualHost = $"unrouted-{Guid.NewGuid().ToString()[..8]}";
    private readonly string _log = Path.Combine(Path.GetTempPath(), $"visrl-unrouted-{Guid.NewGuid():N}.log");
    private static readonly ConcurrentBag<Guid> Sampled = [];

    public sealed class StandInSampler : IConsumer<SampleBatch>
    {
        public Task Consume(ConsumeContext<SampleBatch> context)
        {
            Sampled.Add(context.Message.BatchId);
            return Task.CompletedTask;
        }
    }

    public async Task InitializeAsync()
    {
        using var http = ManagementApi();
        (await http.PutAsync($"api/vhosts/{_virtualHost}", null)).EnsureSuccessStatusCode();
        var everything = new StringContent("""{"configure":".*","write":".*","read":".*"}""", Encoding.UTF8, "application/json");
        (await http.PutAsync($"api/permissions/{_virtualHost}/{stack.Messaging.Username}", everything)).EnsureSuccessStatusCode();
    }

    public async Task DisposeAsync()
    {
        using var http = ManagementApi();
        await http.DeleteAsync($"api/vhosts/{_virtualHost}");
        File.Delete(_log);
    }

    private HttpClient ManagementApi()
    {
        var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{TestStack.ManagementPort}/") };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{stack.Messaging.Username}:{stack.Messaging.Password}")));
        return http;
    }

    private IHost Host(string service, DatabaseOptions database, Action<IBusRegistrationConfigurator> consumers)
    {
        var builder = TestStack.ServiceHost($"{service}-{Guid.NewGuid().ToString()[..8]}", new Dictionary<string, string?>
        {
            ["Messaging:VirtualHost"] = _virtualHost,
            ["Database:ConnectionString"] = database.ConnectionString,
            ["Log:JsonFile"] = _log,
        });
        builder.AddVisRLPersistence();
        builder.AddVisRLMessaging(consumers);
        return builder.Build();
    }

    [Fact]
    public async Task ACommandNoQueueTakesComesBack_TheCliNamesItsService_AndTheOutboxKeepsItUntilItsQueueExists()
    {
        var database = await TestStack.CreateMigratedDatabaseAsync();
        var now = DateTimeOffset.UtcNow;
        var run = new Run { Id = Guid.NewGuid(), Name = $"unrouted-{Guid.NewGuid().ToString()[..8]}", Status = "failed", CreatedAt = now, UpdatedAt = now };
        var iteration = new Iteration
        {
            Id = Guid.NewGuid(), RunId = run.Id, Number = 1, PolicyCheckpoint = "p", JudgeCheckpoint = "j", JudgeId = "j", BatchCount = 2,
            State = "Failed", FailureReason = "every sample batch failed", CreatedAt = now, UpdatedAt = now,
        };
        await using (var db = PersistenceExtensions.CreateVisRLDbContext(database))
        {
            db.AddRange(run, iteration);
            await db.SaveChangesAsync();
        }

        // No Orchestrator has run on this broker: `visrl run retry` says so, where its ResumeIteration would have vanished.
        var environment = stack.CliEnvironment(database);
        environment["VISRL__MESSAGING__VIRTUALHOST"] = _virtualHost;
        var (code, output) = await ChildProcess.RunAsync(ChildProcess.Dotnet(ChildProcess.ProjectDll("VisRL.Cli", "visrl"), environment, "run", "retry", run.Name),
            TimeSpan.FromSeconds(120));
        output = ChildProcess.Flattened(output);
        Assert.True(code == 1, output);
        Assert.Contains("no queue on the broker takes ResumeIteration: the Orchestrator has never run on this broker; start it", output);

        // A round started with no Sampler ever run: its SampleBatch commands come back, and wait in the saga's outbox.
        await using (var db = PersistenceExtensions.CreateVisRLDbContext(database))
        {
            var dataset = new Dataset { Id = Guid.NewGuid(), Name = "unrouted-ds", Source = "synthetic", CreatedAt = now };
            db.Datasets.Add(dataset);
            for (var i = 0; i < 4; i++)
                db.Items.Add(new Item { DatasetId = dataset.Id, Split = "rl", Ordinal = i, ImageBlobKey = $"k/{i}.png", Question = "q?", StandardAnswer = "A" });
            db.Checkpoints.Add(new Checkpoint { Id = Guid.NewGuid(), ContentHash = Hash, BlobKey = $"{Hash}/", Stage = "sft", CreatedAt = now });
            await db.SaveChangesAsync();
        }
        var start = new StartIteration(Guid.NewGuid(), Guid.NewGuid(), 1, "unrouted-ds", Hash, Hash, null, "{\"batchSize\":2,\"batchTaper\":1}");
        using var orchestrator = Host("orchestrator", database, bus => bus.AddIterationOrchestration());
        await orchestrator.StartAsync();
        try
        {
            var bus = orchestrator.Services.GetRequiredService<IBus>();
            await bus.Publish(new IterationStarted(run.Id, iteration.Id, 1, 2, 1)); // an event no one takes goes as before
            await bus.Publish(start);
            // The log is JSON: the template, and the type among the properties.
            await ServiceFleet.WaitUntilAsync(() => Task.FromResult(File.Exists(_log) && ReadLog().Contains("no queue on the broker takes its {Type} yet")),
                TimeSpan.FromSeconds(30), () => $"the relay did not report the commands no queue takes:\n{(File.Exists(_log) ? ReadLog() : "(no log)")}");
            Assert.Contains("\"Type\":\"SampleBatch\"", ReadLog());
            Assert.Equal(2, await OutboxRowsAsync(database, start.IterationId));
            await Assert.ThrowsAsync<MessageReturnedException>(() => bus.Publish(new SampleBatch(start.RunId, start.IterationId, Guid.NewGuid(), 9, 1, [1], Hash, new SamplingSettings())));

            // A Sampler declares its queue: the relay's next round sends both, once, and the round goes on.
            using var sampler = Host("sampler", database, bus => bus.AddConsumer<StandInSampler>());
            await sampler.StartAsync();
            try
            {
                await ServiceFleet.WaitUntilAsync(async () => await OutboxRowsAsync(database, start.IterationId) == 0, TimeSpan.FromSeconds(30),
                    "the relay kept the rows of the commands no queue took");
                await using var db = PersistenceExtensions.CreateVisRLDbContext(database);
                var batches = await db.Batches.AsNoTracking().Where(b => b.IterationId == start.IterationId).Select(b => b.Id).ToListAsync();
                Assert.Equal(2, batches.Count);
                await ServiceFleet.WaitUntilAsync(() => Task.FromResult(batches.All(Sampled.Contains)), TimeSpan.FromSeconds(30),
                    "the commands never reached the Sampler that started");
                Assert.All(batches, id => Assert.Single(Sampled, s => s == id));
            }
            finally
            {
                await sampler.StopAsync();
            }
        }
        finally
        {
            await orchestrator.StopAsync();
        }
    }

    private const string Hash = "e5e5e5e5" + "00000000000000000000000000000000000000000000000000000005";

    private static async Task<int> OutboxRowsAsync(DatabaseOptions database, Guid iterationId)
    {
        await using var db = PersistenceExtensions.CreateVisRLDbContext(database);
        return await db.OutboxMessages.CountAsync(m => m.SagaId == iterationId);
    }

    /// <summary>The hosts' log, read while they may still write it.</summary>
    private string ReadLog()
    {
        using var stream = new FileStream(_log, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        return new StreamReader(stream).ReadToEnd();
    }
}
