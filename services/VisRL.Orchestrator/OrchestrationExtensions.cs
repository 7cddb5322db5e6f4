using MassTransit;
using VisRL.Orchestrator.Runs;
using VisRL.Platform.Messaging.Sagas;
using VisRL.Platform.Persistence.Entities;

namespace VisRL.Orchestrator;

public static class OrchestrationExtensions
{
    /// <summary>
    /// The iteration state machine with its state in PostgreSQL, and the run consumers that chain
    /// iterations (StartRun → iteration 1 → … → RunCompleted). A transition's commands and events go
    /// through the saga outbox in PostgreSQL (PublishOnCommit): they leave once its transaction has committed.
    /// </summary>
    public static IBusRegistrationConfigurator AddIterationOrchestration(this IBusRegistrationConfigurator bus)
    {
        bus.AddSagaStateMachine<IterationStateMachine, Iteration>().PostgresRepository();
        bus.AddConsumer<StartRunConsumer>();
        bus.AddConsumer<IterationCompletedConsumer>();
        bus.AddConsumer<IterationFailedConsumer>();
        return bus;
    }
}
