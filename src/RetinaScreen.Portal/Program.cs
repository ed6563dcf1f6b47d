using RetinaScreen.Hosting;
using RetinaScreen.Portal;

// The portal role on its own (distributed mode). The embedded host composes the same module.
var builder = WebApplication.CreateBuilder(args);
builder.AddRetinaScreenDefaults(_ => { });
builder.AddPortal();

var app = builder.Build();
await app.Services.PrepareRetinaScreenStorageAsync();
app.MapRetinaScreenHealth();
app.MapPortal();
await app.RunAsync();
