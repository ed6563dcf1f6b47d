using RetinaScreen.Hosting;
using RetinaScreen.Hosting.Schema;
using RetinaScreen.Inference;

// An inference worker on its own (distributed mode): consumes ImageReceived, writes predictions.
var builder = WebApplication.CreateBuilder(args);
builder.AddRetinaScreenDefaults(bus => bus.AddInferenceConsumers());
builder.AddInference();

var app = builder.Build();
// Only 'retinascreen migrate' changes the schema in the distributed mode: wait for it instead of racing to migrate.
await app.Services.WaitForRetinaScreenSchemaAsync();
app.MapRetinaScreenTelemetry();
app.MapRetinaScreenHealth();
await app.RunAsync();
