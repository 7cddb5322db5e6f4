using VisRL.Filter;
using VisRL.Platform.Hosting;
using VisRL.Platform.Messaging;

// Builds win/lose pairs and preference statistics (DESIGN.md §1).
var builder = WebApplication.CreateBuilder(args);
builder.AddVisRLService("filter");
builder.AddVisRLMessaging(bus => bus.AddConsumer<BuildPairsConsumer>());

var app = builder.Build();
app.MapVisRLHealth();
return await app.RunVisRLAsync();
