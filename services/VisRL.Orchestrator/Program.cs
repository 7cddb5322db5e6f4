using VisRL.Orchestrator;
using VisRL.Platform.Hosting;
using VisRL.Platform.Messaging;

// The iteration state machine: fans out batches and advances stages (DESIGN.md §4).
var builder = WebApplication.CreateBuilder(args);
builder.AddVisRLService("orchestrator");
builder.AddVisRLMessaging(bus => bus.AddIterationOrchestration());
builder.Services.AddHostedService<StuckBatchMonitor>();

var app = builder.Build();
app.MapVisRLHealth();
return await app.RunVisRLAsync();
