using MassTransit;
using MassTransit.Saga;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using VisRL.Platform.Configuration;
using VisRL.Platform.Persistence;

namespace VisRL.Platform.Messaging.Sagas;

public static class SagaRepositoryExtensions
{
    /// <summary>Stores this saga's instances in PostgreSQL (its entity in <see cref="VisRLDbContext"/>).</summary>
    public static ISagaRegistrationConfigurator<TSaga> PostgresRepository<TSaga>(this ISagaRegistrationConfigurator<TSaga> saga)
        where TSaga : class, ISaga =>
        saga.Repository(repository =>
        {
            // MassTransit's DI saga repository resolves these per message (in the message's scope).
            repository.AddSingleton(sp => new PostgresSagaRepositoryContextFactory<TSaga>(sp.GetRequiredService<IOptions<DatabaseOptions>>().Value));
            repository.AddSingleton<ISagaRepositoryContextFactory<TSaga>>(sp => sp.GetRequiredService<PostgresSagaRepositoryContextFactory<TSaga>>());
            repository.AddSingleton<IQuerySagaRepositoryContextFactory<TSaga>>(sp => sp.GetRequiredService<PostgresSagaRepositoryContextFactory<TSaga>>());
            repository.AddSingleton<ILoadSagaRepositoryContextFactory<TSaga>>(sp => sp.GetRequiredService<PostgresSagaRepositoryContextFactory<TSaga>>());
            // One relay per process, however many sagas share the outbox table.
            repository.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, OutboxRelay>());
        });
}
