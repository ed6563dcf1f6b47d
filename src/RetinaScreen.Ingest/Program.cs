using RetinaScreen.Hosting;
using RetinaScreen.Hosting.Schema;
using RetinaScreen.Ingest;

// An ingest worker on its own (distributed mode): DICOM in, objects stored and recorded, ImageReceived out.
var builder = WebApplication.CreateBuilder(args);
// Ingest consumes the camera queue and publishes ImageReceived.
builder.AddRetinaScreenDefaults(bus => bus.AddIngestConsumers());
builder.AddIngest();

var app = builder.Build();
// Only 'retinascreen migrate' changes the schema in the distributed mode: wait for it instead of racing to migrate.
await app.Services.WaitForRetinaScreenSchemaAsync();
app.MapRetinaScreenTelemetry();
app.MapRetinaScreenHealth();
app.MapIngest();
await app.RunAsync();
