using RetinaScreen.Hosting;
using RetinaScreen.Hosting.Operations;
using RetinaScreen.Hosting.Schema;
using RetinaScreen.Portal;

// The portal role on its own (distributed mode). The embedded host composes the same module.
var builder = WebApplication.CreateBuilder(args);
builder.AddRetinaScreenDefaults(_ => { });
builder.AddPortal();

var app = builder.Build();
// Only 'retinascreen migrate' changes the schema in the distributed mode: wait for it instead of racing to migrate.
await app.Services.WaitForRetinaScreenSchemaAsync();
app.MapRetinaScreenTelemetry();
app.MapRetinaScreenHealth();
app.MapPortal();
app.MapOperations();
await app.RunAsync();
