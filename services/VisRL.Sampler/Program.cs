using VisRL.DataGeneration;
using VisRL.Platform.Hosting;
using VisRL.Platform.Messaging;
using VisRL.Sampler;

// Samples candidates from the policy, with the diversity controller (DESIGN.md §1).
var builder = WebApplication.CreateBuilder(args);
builder.AddVisRLService("sampler");
builder.AddVisRLModels();
// Model work is CPU/GPU bound: one batch at a time per replica; scale out with replicas.
builder.AddVisRLMessaging(bus => bus.AddConsumer<SampleBatchConsumer>().Endpoint(e => e.ConcurrentMessageLimit = 1));

var app = builder.Build();
app.MapVisRLHealth();
return await app.RunVisRLAsync();
