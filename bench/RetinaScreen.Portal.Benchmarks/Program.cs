using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using RetinaScreen.Cli.Synthesis;
using RetinaScreen.Cli.Synthesis.Pathology;
using RetinaScreen.Data;
using RetinaScreen.Data.Imaging;
using RetinaScreen.Data.Storage;
using RetinaScreen.Hosting;
using RetinaScreen.Portal;
using RetinaScreen.Portal.Benchmarks;

// Reading-room benchmark: seeds a database with N screenings (default 100,000), starts the portal role as the
// distributed Program does (over SQLite or PostgreSQL, the folder object store), and measures over loopback HTTP with a
// grader's token: the worklist query, opening a case (the case-view API), the first view of a 4096-px photograph and
// slide tiles (full resolution, and a composed lower level, cold then cached).
//   dotnet run -c Release --project bench/RetinaScreen.Portal.Benchmarks -- [--provider Sqlite|PostgreSql]
//     [--connection "Host=…;Database=…;Username=…;Password=…"] [--cases N] [--requests N] [--photo-size PX] [--slide-size PX]
const string Usage = "usage: [--provider Sqlite|PostgreSql] [--connection CS] [--cases N] [--requests N] [--photo-size PX] [--slide-size PX]";
var provider = "Sqlite";
string? connection = null;
var cases = 100_000;
var requests = 300;
var photoSize = 4096;
var slideSize = 4096;
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--provider": provider = args[++i]; break;
        case "--connection": connection = args[++i]; break;
        case "--cases": cases = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--requests": requests = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--photo-size": photoSize = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--slide-size": slideSize = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        default: Console.Error.WriteLine(Usage); return 2;
    }
}

var dataPath = Directory.CreateTempSubdirectory("retinascreen-portal-bench-").FullName;
const string adminEmail = "admin@bench.test";
var password = "Bench-" + Guid.NewGuid().ToString("N")[..12] + "-Aa1!";
var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Production", ContentRootPath = dataPath });
builder.WebHost.UseUrls("http://127.0.0.1:0");
builder.Logging.SetMinimumLevel(LogLevel.Warning);
builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
{
    ["RetinaScreen:DataPath"] = dataPath,
    ["RetinaScreen:Database:Provider"] = provider,
    ["ConnectionStrings:RetinaScreen"] = connection,
    ["RetinaScreen:Bootstrap:AdminEmail"] = adminEmail,
    ["RetinaScreen:Bootstrap:AdminPassword"] = password,
});
builder.AddRetinaScreenDefaults(_ => { });
builder.AddPortal();
var app = builder.Build();
await app.Services.MigrateRetinaScreenDatabaseAsync();

Console.WriteLine($"Reading-room benchmark: {provider}, {cases:N0} screenings, {requests} requests per measure, {Environment.ProcessorCount} cores, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
var factory = app.Services.GetRequiredService<IDbContextFactory<RetinaScreenDbContext>>();
var seeding = Stopwatch.StartNew();
var uids = await Seeder.SeedAsync(() => factory.CreateDbContext(), cases, seed: 7, Console.Out);
Console.WriteLine($"  seeding took {seeding.Elapsed.TotalSeconds:F0} s");
var (photoSop, slideSop) = await AddRealImagesAsync(app.Services, uids, photoSize, slideSize, dataPath);

app.MapPortal();
await app.StartAsync();
using var http = new HttpClient { BaseAddress = new Uri(app.Urls.Single()) };
await GraderSession.SignInAsync(http, adminEmail, password);

Console.WriteLine();
Console.WriteLine("| measure | requests | p50 ms | p95 ms | max ms |");
Console.WriteLine("|---|---:|---:|---:|---:|");
var random = new Random(11);
Report("worklist, all my queues, page 1", await Latencies.MeasureAsync(requests, () => http.GetAsync("/api/worklist"), warmup: 10));
Report("worklist, one queue, a site and a minimum priority", await Latencies.MeasureAsync(requests, () =>
    http.GetAsync($"/api/worklist?queue=Primary&site=Clinic%20{random.Next(1, 21):00}&priority=1"), warmup: 10));
Report("worklist, page 20", await Latencies.MeasureAsync(requests, () => http.GetAsync("/api/worklist?page=20"), warmup: 10));
Report("open a case (case view API)", await Latencies.MeasureAsync(requests, () => http.GetAsync($"/api/cases/{uids[random.Next(uids.Count)]}"), warmup: 10));

// The photograph and the tiles: the first request of each is the cold one a reader waits for.
var photoUrl = $"/api/instances/{photoSop}/image";
Report($"{photoSize}-px photograph, first view (cold)", await Latencies.MeasureAsync(1, () => http.GetAsync(photoUrl)));
Report($"{photoSize}-px photograph, again", await Latencies.MeasureAsync(Math.Min(requests, 50), () => http.GetAsync(photoUrl)));
using var descriptor = JsonDocument.Parse(await http.GetStringAsync($"/api/cases/{uids[0]}"));
var slide = descriptor.RootElement.GetProperty("slides")[0];
var maxLevel = slide.GetProperty("maxLevel").GetInt32();
var tileSize = slide.GetProperty("tileSize").GetInt32();
var tilesAcross = (slideSize + tileSize - 1) / tileSize;
var tile = new Random(5);
Report("slide tile, full resolution", await Latencies.MeasureAsync(requests, () =>
    http.GetAsync($"/api/slides/{slideSop}/tiles/{maxLevel}/{tile.Next(tilesAcross)}_{tile.Next(tilesAcross)}.jpg")));
var lowerAcross = Math.Max(1, tilesAcross / 4);
var coldTiles = Enumerable.Range(0, lowerAcross * lowerAcross).ToList();
var next = 0;
Report("slide tile, two levels down, composed (cold)", await Latencies.MeasureAsync(coldTiles.Count, () =>
{
    var t = coldTiles[next++];
    return http.GetAsync($"/api/slides/{slideSop}/tiles/{maxLevel - 2}/{t % lowerAcross}_{t / lowerAcross}.jpg");
}));
Report("slide tile, two levels down (cached)", await Latencies.MeasureAsync(requests, () =>
    http.GetAsync($"/api/slides/{slideSop}/tiles/{maxLevel - 2}/{tile.Next(lowerAcross)}_{tile.Next(lowerAcross)}.jpg")));

await app.StopAsync();
await app.DisposeAsync();
Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
Directory.Delete(dataPath, recursive: true);
return 0;

static void Report(string name, Latencies result) =>
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {name} | {result.Count} | {result.P50:F1} | {result.P95:F1} | {result.Max:F1} |"));

// A real photograph and a real slide in the object store, on the first seeded case (which is then a mixed study).
static async Task<(string Photo, string Slide)> AddRealImagesAsync(IServiceProvider services, IReadOnlyList<string> uids, int photoSize, int slideSize, string dataPath)
{
    var store = services.GetRequiredService<IObjectStore>();
    var work = Directory.CreateDirectory(Path.Combine(dataPath, "bench-images")).FullName;

    var photoPath = Path.Combine(work, "photo.dcm");
    var fundus = FundusSynthesizer.Generate(4096, FundusSpec.Default with { Size = photoSize, Grade = 3, Laterality = "R" });
    OphthalmicPhotographWriter.Create(fundus, SyntheticVisit.Create(4096), 1).Save(photoPath);
    var photo = await store.PutFileAsync(photoPath, ".dcm", CancellationToken.None);

    var slidePath = Path.Combine(work, "slide.dcm");
    WholeSlideWriter.Write(slidePath, SlideSynthesizer.Generate(8192, SlideSpec.Default with { Width = slideSize, Height = slideSize }), 8192);
    var slideObject = await store.PutFileAsync(slidePath, ".dcm", CancellationToken.None);

    await using var scope = services.CreateAsyncScope();
    var db = scope.ServiceProvider.GetRequiredService<RetinaScreenDbContext>();
    var series = await db.Series.Include(s => s.Instances).FirstAsync(s => s.Study!.StudyInstanceUid == uids[0]);
    var right = series.Instances.Single(i => i.Laterality == "R");
    (right.StorageKey, right.Sha256, right.SizeBytes, right.Rows, right.Columns) = (photo.Key, photo.Sha256, photo.SizeBytes, photoSize, photoSize);
    var slide = new Instance
    {
        SopInstanceUid = uids[0] + ".2.1", SopClassUid = "1.2.840.10008.5.1.4.1.1.77.1.6", TransferSyntaxUid = "1.2.840.10008.1.2.4.50",
        StorageKey = slideObject.Key, Sha256 = slideObject.Sha256, SizeBytes = slideObject.SizeBytes, Rows = 256, Columns = 256, ReceivedAt = DateTimeOffset.UtcNow,
    };
    slide.SeriesId = series.Id;
    db.Instances.Add(slide);
    await db.SaveChangesAsync();
    return (right.SopInstanceUid, slide.SopInstanceUid);
}
