using RetinaScreen.Hosting;
using RetinaScreen.Hosting.Operations;
using RetinaScreen.Inference;
using RetinaScreen.Ingest;
using RetinaScreen.Portal;

// The embedded host: every role in one process over SQLite, the in-memory bus and CPU inference.
// appsettings.json ships beside the binaries; ./data stays relative to where the command is run.
var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });

builder.AddRetinaScreenDefaults(bus => bus.AddInferenceConsumers().AddIngestConsumers());
builder.AddIngest();
builder.AddInference();
builder.AddPortal();

var app = builder.Build();
await app.Services.PrepareRetinaScreenStorageAsync();
app.MapRetinaScreenTelemetry();
app.MapRetinaScreenHealth();
app.MapPortal();
app.MapOperations();
app.MapIngest();
await app.RunAsync();
