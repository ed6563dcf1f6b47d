using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using RetinaScreen.Data;
using RetinaScreen.Data.Imaging;
using RetinaScreen.Data.Storage;
using RetinaScreen.Dicom;
using RetinaScreen.Dicom.Imaging;
using RetinaScreen.Dicom.IO;
using RetinaScreen.Portal.Slides;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace RetinaScreen.Portal.Tests;

/// <summary>
/// Photographs and slide tiles as the viewer reads them, from real Part 10 files in the portal's object store: a stored
/// JPEG goes out byte for byte, native pixels are encoded, and a slide is a Deep Zoom pyramid whose full-resolution tiles
/// are the stored frames and whose edge and lower-level tiles have the sizes a Deep Zoom viewer expects.
/// </summary>
public sealed class ImageApiTests : IAsyncLifetime
{
    private const string AdminEmail = "admin@images.test";
    private const string AdminPassword = "Adm1n-Images-Passw0rd!";
    private const string ReaderEmail = "pathologist@images.test";
    private const string ReaderPassword = "Pathologist-Images-Pass1!";
    private const string NoRoleEmail = "norole@images.test";
    private const string NoRolePassword = "NoRole-Images-Passw0rd2!";

    private const string StudyUid = "1.2.826.0.1.3680043.10.5678.1";
    private const string JpegSop = StudyUid + ".1";
    private const string NativeSop = StudyUid + ".2";
    private const string SlideSop = StudyUid + ".3";

    // 600 × 400 in 256-pixel tiles: 3 × 2 frames, the right column and bottom row reaching past the matrix.
    private const int SlideWidth = 600;
    private const int SlideHeight = 400;
    private const int TileSize = 256;
    private const int MaxLevel = 10; // ceil(log2(600))

    private readonly string _dataPath = Directory.CreateTempSubdirectory("retinascreen-portal-images-").FullName;
    private readonly Dictionary<string, string> _files = [];
    private PortalHost? _host;

    private PortalHost Host => _host!;

    public async Task InitializeAsync()
    {
        var store = new FileObjectStore(Path.Combine(_dataPath, "objects"));
        var stored = new Dictionary<string, (StoredObject Object, string SopClass, string Syntax)>
        {
            [JpegSop] = await StoreAsync(store, JpegSop, Photograph(JpegSop, jpeg: true)),
            [NativeSop] = await StoreAsync(store, NativeSop, Photograph(NativeSop, jpeg: false)),
            [SlideSop] = await StoreAsync(store, SlideSop, Slide(SlideSop)),
        };

        _host = await PortalHost.StartAsync(
            new Dictionary<string, string?>
            {
                ["RetinaScreen:Bootstrap:AdminEmail"] = AdminEmail,
                ["RetinaScreen:Bootstrap:AdminPassword"] = AdminPassword,
            },
            db => SeedAsync(db, stored),
            _dataPath);

        using var admin = await Host.SignedInClientAsync(AdminEmail, AdminPassword);
        foreach (var (email, password, roles) in new[] { (ReaderEmail, ReaderPassword, new[] { "Pathologist" }), (NoRoleEmail, NoRolePassword, Array.Empty<string>()) })
        {
            await Host.CreateUserAsync(admin, email, password, roles);
        }
    }

    public async Task DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }

        try
        {
            Directory.Delete(_dataPath, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temporary folder is harmless.
        }
    }

    [Fact]
    public async Task A_stored_JPEG_photograph_is_sent_as_stored_with_its_hash_as_ETag_and_the_read_is_audited()
    {
        using var reader = await Host.SignedInClientAsync(ReaderEmail, ReaderPassword);
        using var response = await reader.GetAsync($"/api/instances/{JpegSop}/image");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("image/jpeg", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(StoredFrame(JpegSop, 0), await response.Content.ReadAsByteArrayAsync());
        var sha256 = await Host.WithDbAsync(db => Task.FromResult(db.Instances.Single(i => i.SopInstanceUid == JpegSop).Sha256));
        Assert.Equal($"\"{sha256}\"", response.Headers.ETag?.ToString());
        // A photograph is patient data: no browser or proxy keeps it (REQ-SEC-18).
        Assert.True(response.Headers.CacheControl?.NoStore);

        // The same bytes again cost nothing: the ETag answers 304.
        using var again = new HttpRequestMessage(HttpMethod.Get, $"/api/instances/{JpegSop}/image");
        again.Headers.IfNoneMatch.Add(response.Headers.ETag!);
        using var notModified = await reader.SendAsync(again);
        Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);

        var audited = await Host.WithDbAsync(db => Task.FromResult(db.AuditEvents
            .Where(e => e.Action == "instance.accessed" && e.EntityType == "Instance" && e.EntityId == JpegSop && e.Actor == ReaderEmail)
            .Select(e => e.Details)
            .ToList()));
        Assert.NotEmpty(audited);
        Assert.All(audited, details => Assert.Contains("DICOM Instances Accessed", details, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_native_pixel_photograph_is_encoded_as_JPEG_of_its_size()
    {
        using var reader = await Host.SignedInClientAsync(ReaderEmail, ReaderPassword);
        using var response = await reader.GetAsync($"/api/instances/{NativeSop}/image");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("image/jpeg", response.Content.Headers.ContentType?.MediaType);
        using var image = Image.Load<Rgb24>(await response.Content.ReadAsByteArrayAsync());
        Assert.Equal((320, 240), (image.Width, image.Height));
        // The photograph's red disc survives the encoding.
        Assert.True(image[160, 120].R > 150 && image[160, 120].G < 100, image[160, 120].ToString());
    }

    [Fact]
    public async Task Images_need_a_login_and_a_reading_role_and_unknown_instances_are_404_problems()
    {
        using var anonymous = Host.CreateClient();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync($"/api/instances/{JpegSop}/image")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync($"/api/slides/{SlideSop}/tiles/{MaxLevel}/0_0.jpg")).StatusCode);

        using var noRole = await Host.SignedInClientAsync(NoRoleEmail, NoRolePassword);
        Assert.Equal(HttpStatusCode.Forbidden, (await noRole.GetAsync($"/api/instances/{JpegSop}/image")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await noRole.GetAsync($"/api/slides/{SlideSop}/tiles/{MaxLevel}/0_0.jpg")).StatusCode);

        using var reader = await Host.SignedInClientAsync(ReaderEmail, ReaderPassword);
        using var unknown = await reader.GetAsync("/api/instances/1.2.3.4.5.6.7.8/image");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("application/problem+json", unknown.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Slide_tiles_form_a_Deep_Zoom_pyramid_over_the_stored_frames()
    {
        var pyramid = Host.App.Services.GetRequiredService<SlidePyramid>();
        Assert.Equal(new SlideDescriptor(SlideWidth, SlideHeight, TileSize, MaxLevel), await pyramid.DescribeAsync(SlideSop, CancellationToken.None));
        Assert.Null(await pyramid.DescribeAsync(JpegSop, CancellationToken.None));

        using var reader = await Host.SignedInClientAsync(ReaderEmail, ReaderPassword);

        // Full resolution: a whole tile is the stored frame, byte for byte (frame 1 is column 1, row 0).
        Assert.Equal(StoredFrame(SlideSop, 0), await TileAsync(reader, MaxLevel, 0, 0));
        Assert.Equal(StoredFrame(SlideSop, 1), await TileAsync(reader, MaxLevel, 1, 0));

        // Edge tiles are cut to the matrix: 600 − 512 = 88 wide, 400 − 256 = 144 high.
        Assert.Equal((88, 256), SizeOf(await TileAsync(reader, MaxLevel, 2, 0)));
        Assert.Equal((256, 144), SizeOf(await TileAsync(reader, MaxLevel, 1, 1)));
        Assert.Equal((88, 144), SizeOf(await TileAsync(reader, MaxLevel, 2, 1)));

        // One level down the slide is 300 × 200: two tiles across, one down; level 0 is a single pixel.
        Assert.Equal((256, 200), SizeOf(await TileAsync(reader, MaxLevel - 1, 0, 0)));
        Assert.Equal((44, 200), SizeOf(await TileAsync(reader, MaxLevel - 1, 1, 0)));
        Assert.Equal((1, 1), SizeOf(await TileAsync(reader, 0, 0, 0)));

        // The halved tile shows what the stored frames show: the slide's left half is blue, its right half green.
        using (var half = Image.Load<Rgb24>(await TileAsync(reader, MaxLevel - 1, 0, 0)))
        {
            Assert.True(half[20, 100].B > 150 && half[20, 100].G < 100, half[20, 100].ToString());
            Assert.True(half[250, 100].G > 150 && half[250, 100].B < 100, half[250, 100].ToString());
        }

        foreach (var outside in new[] { $"{MaxLevel}/3_0", $"{MaxLevel}/0_2", $"{MaxLevel + 1}/0_0", $"{MaxLevel - 1}/2_0", "-1/0_0" })
        {
            using var response = await reader.GetAsync($"/api/slides/{SlideSop}/tiles/{outside}.jpg");
            Assert.True(response.StatusCode == HttpStatusCode.NotFound, outside);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }

        using (var photograph = await reader.GetAsync($"/api/slides/{JpegSop}/tiles/0/0_0.jpg"))
        {
            Assert.Equal(HttpStatusCode.NotFound, photograph.StatusCode);
        }

        // Hundreds of tiles in a viewing session are one audited access.
        var audits = await Host.WithDbAsync(db => Task.FromResult(db.AuditEvents.Count(e => e.Action == "instance.accessed" && e.EntityId == SlideSop && e.Actor == ReaderEmail)));
        Assert.Equal(1, audits);
    }

    private static async Task<byte[]> TileAsync(HttpClient client, int level, int column, int row)
    {
        using var response = await client.GetAsync($"/api/slides/{SlideSop}/tiles/{level}/{column}_{row}.jpg");
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{level}/{column}_{row}: {response.StatusCode}");
        Assert.Equal("image/jpeg", response.Content.Headers.ContentType?.MediaType);
        return await response.Content.ReadAsByteArrayAsync();
    }

    private static (int Width, int Height) SizeOf(byte[] jpeg)
    {
        var info = Image.Identify(jpeg);
        return (info.Width, info.Height);
    }

    private byte[] StoredFrame(string sop, int frame)
    {
        var file = DicomFile.Open(_files[sop]);
        var pixels = (DicomFragmentSequence)file.Dataset.Find(DicomTag.PixelData)!;
        return FrameDecoder.GetEncapsulatedFrame(pixels, frame, FrameDecoder.GetFrameCount(file.Dataset));
    }

    private async Task<(StoredObject Object, string SopClass, string Syntax)> StoreAsync(FileObjectStore store, string sop, DicomFile file)
    {
        var path = Path.Combine(_dataPath, sop + ".dcm");
        file.Save(path);
        var copy = path + ".original";
        File.Copy(path, copy);
        _files[sop] = copy;
        var stored = await store.PutFileAsync(path, ".dcm", CancellationToken.None);
        return (stored, file.Dataset.GetUid(DicomTag.SopClassUid)!, file.TransferSyntaxUid);
    }

    /// <summary>A 320 × 240 photograph: a red disc on black.</summary>
    private static DicomFile Photograph(string sop, bool jpeg)
    {
        var frame = Paint(320, 240, (x, y) => (x - 160) * (x - 160) + (y - 120) * (y - 120) < 80 * 80 ? (220, 40, 30) : (0, 0, 0));
        var dataset = Header(sop, DicomUids.OphthalmicPhotography8Bit);
        string syntax;
        if (jpeg)
        {
            syntax = PixelDataWriter.SetJpegBaseline(dataset, [frame], quality: 90);
        }
        else
        {
            PixelDataWriter.SetNativeRgb(dataset, [frame]);
            syntax = DicomUids.ExplicitVrLittleEndian;
        }

        return new DicomFile(dataset, syntax);
    }

    /// <summary>A TILED_FULL slide whose left 300 pixels are blue and the rest green.</summary>
    private static DicomFile Slide(string sop)
    {
        var tiles = new List<RgbFrame>();
        for (var row = 0; row < 2; row++)
        {
            for (var column = 0; column < 3; column++)
            {
                var (x0, y0) = (column * TileSize, row * TileSize);
                tiles.Add(Paint(TileSize, TileSize, (x, y) => x0 + x >= SlideWidth || y0 + y >= SlideHeight ? (255, 255, 255)
                    : x0 + x < SlideWidth / 2 ? (30, 40, 220) : (30, 200, 40)));
            }
        }

        var dataset = Header(sop, DicomUids.VlWholeSlideMicroscopyImage);
        var syntax = PixelDataWriter.SetJpegBaseline(dataset, tiles, quality: 90);
        dataset.Set(DicomTag.TotalPixelMatrixColumns, SlideWidth);
        dataset.Set(DicomTag.TotalPixelMatrixRows, SlideHeight);
        dataset.Set(DicomTag.DimensionOrganizationType, "TILED_FULL");
        return new DicomFile(dataset, syntax);
    }

    private static DicomDataset Header(string sop, string sopClass)
    {
        var dataset = new DicomDataset();
        dataset.Set(DicomTag.SopClassUid, sopClass);
        dataset.Set(DicomTag.SopInstanceUid, sop);
        dataset.Set(DicomTag.StudyInstanceUid, StudyUid);
        dataset.Set(DicomTag.SeriesInstanceUid, StudyUid + ".100");
        return dataset;
    }

    private static RgbFrame Paint(int width, int height, Func<int, int, (int R, int G, int B)> colour)
    {
        var pixels = new byte[width * height * 3];
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var (r, g, b) = colour(x, y);
                var i = (y * width + x) * 3;
                (pixels[i], pixels[i + 1], pixels[i + 2]) = ((byte)r, (byte)g, (byte)b);
            }
        }

        return new RgbFrame(width, height, pixels);
    }

    private static async Task SeedAsync(RetinaScreenDbContext db, Dictionary<string, (StoredObject Object, string SopClass, string Syntax)> stored)
    {
        var now = new DateTimeOffset(2026, 2, 1, 9, 0, 0, TimeSpan.Zero);
        var study = new Study
        {
            StudyInstanceUid = StudyUid,
            Patient = new Patient { PatientId = "PAT-IMG-1", Name = "DOE^IMAGE", IssuerOfPatientId = "CLINIC-A" },
            StudyDate = "20260201",
            FirstReceivedAt = now,
        };
        var series = new Series { SeriesInstanceUid = StudyUid + ".100", Modality = "OP" };
        study.Series.Add(series);
        foreach (var (sop, (storedObject, sopClass, syntax)) in stored)
        {
            series.Instances.Add(new Instance
            {
                SopInstanceUid = sop,
                SopClassUid = sopClass,
                TransferSyntaxUid = syntax,
                StorageKey = storedObject.Key,
                Sha256 = storedObject.Sha256,
                SizeBytes = storedObject.SizeBytes,
                ReceivedAt = now,
            });
        }

        db.Studies.Add(study);
        await db.SaveChangesAsync();
    }
}
