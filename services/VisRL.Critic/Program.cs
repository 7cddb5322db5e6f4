using VisRL.Critic;
using VisRL.DataGeneration;
using VisRL.Platform.Hosting;
using VisRL.Platform.Messaging;

// Self-critique: s_r and s_b from the original model M_org (DESIGN.md §1).
var builder = WebApplication.CreateBuilder(args);
builder.AddVisRLService("critic");
builder.AddVisRLModels();
// Model work is CPU/GPU bound: one batch at a time per replica; scale out with replicas.
builder.AddVisRLMessaging(bus => bus.AddConsumer<ScoreBatchConsumer>().Endpoint(e => e.ConcurrentMessageLimit = 1));

var app = builder.Build();
app.MapVisRLHealth();
return await app.RunVisRLAsync();
