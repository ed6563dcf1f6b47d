using RetinaScreen.Hosting;
using RetinaScreen.Ingest;

// An ingest worker on its own (distributed mode): DICOM in, objects stored and recorded, ImageReceived out.
var builder = WebApplication.CreateBuilder(args);
// Ingest only publishes; it consumes nothing yet.
builder.AddRetinaScreenDefaults(_ => { });
builder.AddIngest();

var app = builder.Build();
await app.Services.PrepareRetinaScreenStorageAsync();
app.MapRetinaScreenHealth();
await app.RunAsync();
