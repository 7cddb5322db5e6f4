using VisRL.Platform.Hosting;
using VisRL.Platform.Messaging;

// Step-level DPO (stage 1 and 2), SFT, checkpoints and evaluation (DESIGN.md §1).
var builder = WebApplication.CreateBuilder(args);
builder.AddVisRLService("trainer");
builder.AddVisRLMessaging();

var app = builder.Build();
app.MapVisRLHealth();
return await app.RunVisRLAsync();
