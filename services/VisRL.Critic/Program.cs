using VisRL.Platform.Hosting;
using VisRL.Platform.Messaging;

// Self-critique: s_r and s_b from the original model M_org (DESIGN.md §1).
var builder = WebApplication.CreateBuilder(args);
builder.AddVisRLService("critic");
builder.AddVisRLMessaging();

var app = builder.Build();
app.MapVisRLHealth();
return await app.RunVisRLAsync();
