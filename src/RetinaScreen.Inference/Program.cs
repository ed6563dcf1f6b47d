using RetinaScreen.Hosting;
using RetinaScreen.Inference;

// An inference worker on its own (distributed mode): consumes ImageReceived, writes predictions.
var builder = WebApplication.CreateBuilder(args);
builder.AddRetinaScreenDefaults(bus => bus.AddInferenceConsumers());
builder.AddInference();

var app = builder.Build();
app.MapRetinaScreenHealth();
await app.RunAsync();
