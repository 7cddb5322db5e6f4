using MassTransit;
using VisRL.Orchestrator.Runs;
using VisRL.Platform.Messaging.Sagas;
using VisRL.Platform.Persistence.Entities;

namespace VisRL.Orchestrator;

public static class OrchestrationExtensions
{
    /// <summary>
    /// The iteration state machine with its state in PostgreSQL, and the run consumers that chain
    /// iterations (StartRun → iteration 1 → … → RunCompleted). The in-memory outbox holds the
    /// commands and events a transition publishes until its transaction has committed.
    /// </summary>
    public static IBusRegistrationConfigurator AddIterationOrchestration(this IBusRegistrationConfigurator bus)
    {
        bus.AddSagaStateMachine<IterationStateMachine, Iteration>((context, saga) => saga.UseInMemoryOutbox(context)).PostgresRepository();
        bus.AddConsumer<StartRunConsumer>();
        bus.AddConsumer<IterationCompletedConsumer>();
        bus.AddConsumer<IterationFailedConsumer>();
        return bus;
    }
}
