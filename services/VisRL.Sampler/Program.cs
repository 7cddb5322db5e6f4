using VisRL.Platform.Hosting;
using VisRL.Platform.Messaging;

// Samples candidates from the policy, with the diversity controller (DESIGN.md §1).
var builder = WebApplication.CreateBuilder(args);
builder.AddVisRLService("sampler");
builder.AddVisRLMessaging();

var app = builder.Build();
app.MapVisRLHealth();
return await app.RunVisRLAsync();
