using VisRL.DataGeneration;
using VisRL.Platform.Hosting;
using VisRL.Platform.Messaging;
using VisRL.Trainer;

// SFT, step-level DPO (stage 1 and 2) with checkpoints and resume, and evaluation (DESIGN.md §1).
var builder = WebApplication.CreateBuilder(args);
builder.AddVisRLService("trainer");
builder.AddVisRLModels();
builder.AddVisRLTraining();
// A training job holds the whole machine (or GPU): one command at a time per replica.
builder.AddVisRLMessaging(bus =>
{
    bus.AddConsumer<TrainStageConsumer>().Endpoint(e => e.ConcurrentMessageLimit = 1);
    bus.AddConsumer<EvaluateConsumer>().Endpoint(e => e.ConcurrentMessageLimit = 1);
});

var app = builder.Build();
app.MapVisRLHealth();
return await app.RunVisRLAsync();
