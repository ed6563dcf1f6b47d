using RetinaScreen.Data;
using RetinaScreen.Portal;

// The portal role on its own (distributed mode). The embedded host composes the same module.
var builder = WebApplication.CreateBuilder(args);
builder.AddRetinaScreenData();
builder.AddPortal();

var app = builder.Build();
await app.Services.MigrateRetinaScreenDatabaseAsync(CancellationToken.None);
app.MapPortal();
await app.RunAsync();
