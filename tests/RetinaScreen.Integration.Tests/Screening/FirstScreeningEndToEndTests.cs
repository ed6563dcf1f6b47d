using System.Diagnostics;
using System.Net;
using System.Text.Json;
using RetinaScreen.Dicom.Network;
using RetinaScreen.Integration.Tests.Infrastructure;

namespace RetinaScreen.Integration.Tests.Screening;

/// <summary>
/// The first slice, end to end, against the real embedded host process: DCMTK as the camera, DICOM in, a grade
/// out through the REST API, with the database and the data folder inspected directly.
/// </summary>
public sealed class FirstScreeningEndToEndTests(EmbeddedHost host) : IClassFixture<EmbeddedHost>, IDisposable
{
    private readonly string _work = Directory.CreateTempSubdirectory("retinascreen-e2e-").FullName;
    private DatabaseProbe Database => new(Path.Combine(host.DataPath, "data"));
    private string ObjectsFolder => Path.Combine(host.DataPath, "data", "objects");
    private string ArrivalsFolder => Path.Combine(host.DataPath, "data", "tmp");

    [Fact]
    public async Task REQ_OPS_01_Health_endpoints_answer_and_api_needs_login()
    {
        using var http = new HttpClient { BaseAddress = host.BaseAddress };
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("health/live")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("health/ready")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync("api/studies/1.2.3")).StatusCode);
    }

    [Fact]
    public async Task REQ_ING_05_Echoscu_succeeds_against_RETINASCREEN()
    {
        var result = await ExternalTool.RunAsync("echoscu", ["-aec", "RETINASCREEN", "127.0.0.1", host.DicomPort.ToString()]);
        Assert.True(result.ExitCode == 0, result.Output);
    }

    [Fact]
    public async Task REQ_ING_01_REQ_PIPE_01_Storescu_jpeg_photograph_is_stored_and_graded_within_10_seconds()
    {
        var file = await TestImages.Img2DcmOphthalmicAsync(TestImages.FundusJpeg(_work, seed: 910_001), Path.Combine(_work, "op.dcm"), "R", "IT-1001");
        var sop = await TestImages.ReadSopInstanceUidAsync(file);
        var study = await TestImages.ReadStudyInstanceUidAsync(file);

        await StorescuAsync(file, jpeg: true);
        var stopwatch = Stopwatch.StartNew();
        using var api = await host.LoginAsync();
        var screening = await WaitForGradedAsync(api, study);
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(10), $"graded after {stopwatch.Elapsed}");

        var image = screening.GetProperty("eyes").EnumerateArray().Single(e => e.GetProperty("laterality").GetString() == "R")
            .GetProperty("images").EnumerateArray().Single();
        Assert.Equal(sop, image.GetProperty("sopInstanceUid").GetString());
        var prediction = image.GetProperty("prediction");
        Assert.True(prediction.GetProperty("gradable").GetBoolean(), prediction.ToString());
        Assert.InRange(prediction.GetProperty("grade").GetInt32(), 0, 4);
        Assert.Equal(5, prediction.GetProperty("gradeProbabilities").GetArrayLength());
        var model = prediction.GetProperty("model");
        Assert.False(string.IsNullOrEmpty(model.GetProperty("version").GetString()));
        Assert.Matches("^[0-9a-f]{64}$", model.GetProperty("sha256").GetString());

        // The stored object is exactly what storescu sent (DCMTK re-encodes nothing for a JPEG file it can send
        // as is), named by its SHA-256, and the prediction names that same hash.
        var sha = image.GetProperty("sha256").GetString()!;
        Assert.Equal(sha, prediction.GetProperty("imageSha256").GetString());
        var stored = Directory.EnumerateFiles(ObjectsFolder, sha + ".dcm", SearchOption.AllDirectories).Single();
        Assert.Equal(sha, Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(stored))));
        Assert.Equal(0, (await ExternalTool.RunAsync("dcmdump", ["-q", stored])).ExitCode);
    }

    [Fact]
    public async Task REQ_ING_02_Same_instance_sent_twice_is_one_instance_one_screening_one_prediction()
    {
        var file = await TestImages.Img2DcmOphthalmicAsync(TestImages.FundusJpeg(_work, seed: 910_002, grade: 0), Path.Combine(_work, "twice.dcm"), "L", "IT-1002");
        var sop = await TestImages.ReadSopInstanceUidAsync(file);
        var study = await TestImages.ReadStudyInstanceUidAsync(file);

        await StorescuAsync(file, jpeg: true);
        using var api = await host.LoginAsync();
        await WaitForGradedAsync(api, study);
        await StorescuAsync(file, jpeg: true);

        // Give a wrongly re-published second copy every chance to be graded before counting.
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.Equal(1, await Database.InstancesAsync(sop));
        Assert.Equal(1, await Database.ScreeningsAsync(study));
        Assert.Equal(1, await Database.PredictionsAsync(sop));
        Assert.Single(Directory.EnumerateFiles(ObjectsFolder, "*.dcm", SearchOption.AllDirectories),
            f => File.ReadAllBytes(f).AsSpan().IndexOf(System.Text.Encoding.ASCII.GetBytes(sop)) >= 0);
    }

    [Fact]
    public async Task REQ_ING_01_Explicit_and_implicit_little_endian_photographs_are_graded()
    {
        var jpegDicom = await TestImages.Img2DcmOphthalmicAsync(TestImages.FundusJpeg(_work, seed: 910_003), Path.Combine(_work, "j.dcm"), "R", "IT-1003");
        var explicitLe = Path.Combine(_work, "explicit.dcm");
        Assert.Equal(0, (await ExternalTool.RunAsync("dcmdjpeg", ["+te", jpegDicom, explicitLe])).ExitCode);
        var implicitLe = Path.Combine(_work, "implicit.dcm");
        Assert.Equal(0, (await ExternalTool.RunAsync("dcmconv", ["+ti", explicitLe, implicitLe])).ExitCode);
        // Same study, another instance: the left eye, so both transfer syntaxes land in one screening.
        Assert.Equal(0, (await ExternalTool.RunAsync("dcmodify", ["-nb", "-gin", "-m", "ImageLaterality=L", implicitLe])).ExitCode);
        var study = await TestImages.ReadStudyInstanceUidAsync(explicitLe);

        await StorescuAsync(explicitLe, jpeg: false);
        await StorescuAsync(implicitLe, jpeg: false);

        using var api = await host.LoginAsync();
        var screening = await WaitForGradedAsync(api, study, expectedImages: 2);
        var lateralities = screening.GetProperty("eyes").EnumerateArray().Select(e => e.GetProperty("laterality").GetString()!).Order().ToArray();
        Assert.Equal(["L", "R"], lateralities);
    }

    [Fact]
    public async Task REQ_ING_03_Truncated_and_non_dicom_payloads_are_refused_and_leave_nothing_behind()
    {
        var file = await TestImages.Img2DcmOphthalmicAsync(TestImages.FundusJpeg(_work, seed: 910_004), Path.Combine(_work, "cut.dcm"), "R", "IT-1004");
        var complete = DicomStoreItem.FromFile(file);
        byte[] dataset;
        await using (var source = complete.OpenDataset())
        using (var buffer = new MemoryStream())
        {
            await source.CopyToAsync(buffer);
            dataset = buffer.ToArray();
        }

        var truncated = complete with { OpenDataset = () => new MemoryStream(dataset, 0, dataset.Length / 2) };
        var garbage = new DicomStoreItem(complete.SopClassUid, "1.2.826.0.1.3680043.10.999.1", complete.TransferSyntaxUid,
            () => new MemoryStream(System.Text.Encoding.ASCII.GetBytes("this is not a DICOM data set, just text from a misconfigured sender")));
        var objectsBefore = CountObjects();
        var instancesBefore = await Database.AllInstancesAsync();

        var results = await new DicomClient().StoreAsync("127.0.0.1", host.DicomPort, "BROKENCAM", "RETINASCREEN", [truncated, garbage]);

        Assert.All(results, r => Assert.Equal(DicomStoreOutcome.Sent, r.Outcome));
        Assert.All(results, r => Assert.Equal(DicomStatus.CannotUnderstand, r.Status));
        Assert.True(host.IsRunning);
        Assert.Equal(instancesBefore, await Database.AllInstancesAsync());
        Assert.Equal(objectsBefore, CountObjects());
        Assert.Empty(Directory.Exists(ArrivalsFolder) ? Directory.EnumerateFiles(ArrivalsFolder) : []);
        Assert.Equal(0, (await ExternalTool.RunAsync("echoscu", ["-aec", "RETINASCREEN", "127.0.0.1", host.DicomPort.ToString()])).ExitCode);
    }

    [Fact]
    public async Task REQ_ING_04_Unsupported_sop_class_is_refused_and_nothing_is_stored()
    {
        var secondaryCapture = await TestImages.Img2DcmSecondaryCaptureAsync(TestImages.FundusJpeg(_work, seed: 910_005), Path.Combine(_work, "sc.dcm"));
        // Secondary Capture is stored since issue 4; CT Image Storage stays outside the conformance statement.
        Assert.Equal(0, (await ExternalTool.RunAsync("dcmodify", ["-nb", "-m", "SOPClassUID=1.2.840.10008.5.1.4.1.1.2", secondaryCapture])).ExitCode);
        var instancesBefore = await Database.AllInstancesAsync();
        var objectsBefore = CountObjects();

        // DCMTK proposes Secondary Capture: the presentation context is refused at negotiation.
        var dcmtk = await ExternalTool.RunAsync("storescu", ["-xy", "-aec", "RETINASCREEN", "127.0.0.1", host.DicomPort.ToString(), secondaryCapture]);
        Assert.Contains("presentation context", dcmtk.Output, StringComparison.OrdinalIgnoreCase);

        // A sender that declares Ophthalmic Photography but sends a Secondary Capture data set gets A900.
        var item = DicomStoreItem.FromFile(secondaryCapture);
        var disguised = item with { SopClassUid = RetinaScreen.Dicom.DicomUids.OphthalmicPhotography8Bit };
        var result = Assert.Single(await new DicomClient().StoreAsync("127.0.0.1", host.DicomPort, "ODDCAM", "RETINASCREEN", [disguised]));
        Assert.Equal(DicomStatus.DataSetDoesNotMatchSopClass, result.Status);

        Assert.Equal(instancesBefore, await Database.AllInstancesAsync());
        Assert.Equal(objectsBefore, CountObjects());
        Assert.True(host.IsRunning);
    }

    [Fact]
    public async Task REQ_ING_06_Arrival_is_audited_with_sender_and_hash()
    {
        var file = await TestImages.Img2DcmOphthalmicAsync(TestImages.FundusJpeg(_work, seed: 910_006), Path.Combine(_work, "audit.dcm"), "L", "IT-1006");
        var sop = await TestImages.ReadSopInstanceUidAsync(file);
        await StorescuAsync(file, jpeg: true, callingAe: "CLINICCAM7");

        var audited = await Database.CountAsync(
            "SELECT COUNT(*) FROM AuditEvents WHERE Action = 'instance.received' AND EntityId = $uid AND Actor = 'dicom:CLINICCAM7' AND Details LIKE '%sha256%'",
            ("$uid", sop));
        Assert.Equal(1, audited);
    }

    [Fact]
    public async Task REQ_ING_01_REQ_PIPE_02_Cli_synth_visit_sent_by_cli_is_graded_per_eye_and_refers_as_the_truth_says()
    {
        var folder = Path.Combine(_work, "synth");
        var output = new StringWriter();
        // Seeds 920000/920001: one visit, right and left eye; the ground truth says whether it is referable.
        Assert.Equal(0, RetinaScreen.Cli.Synthesis.SynthCommand.Run(["--out", folder, "--count", "2", "--seed", "920000"], output, output));
        var labels = File.ReadAllLines(Path.Combine(folder, "labels.csv")).Skip(1).Select(l => l.Split(',')).ToArray();
        Assert.Equal(2, labels.Length);
        var study = labels[0][8];
        var referableTruth = labels.Any(l => l[3] == "1");

        Assert.Equal(0, await RetinaScreen.Cli.Sending.SendCommand.RunAsync(["127.0.0.1", host.DicomPort.ToString(), folder], output, output));

        using var api = await host.LoginAsync();
        var screening = await WaitForGradedAsync(api, study, expectedImages: 2);
        Assert.Equal(referableTruth, screening.GetProperty("referableDr").GetBoolean());
        Assert.Equal(["L", "R"], screening.GetProperty("eyes").EnumerateArray().Select(e => e.GetProperty("laterality").GetString()!).Order().ToArray());
        Assert.NotNull(screening.GetProperty("qualityCheckedAt").GetString());
    }

    private async Task StorescuAsync(string file, bool jpeg, string callingAe = "STORESCU")
    {
        List<string> arguments = jpeg ? ["-xy"] : [];
        arguments.AddRange(["-aet", callingAe, "-aec", "RETINASCREEN", "127.0.0.1", host.DicomPort.ToString(), file]);
        var result = await ExternalTool.RunAsync("storescu", arguments);
        Assert.True(result.ExitCode == 0 && !result.Output.Contains("E: ", StringComparison.Ordinal), "storescu failed: " + result.Output);
    }

    private static async Task<JsonElement> WaitForGradedAsync(HttpClient api, string studyInstanceUid, int expectedImages = 1)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        string last = "";
        while (DateTime.UtcNow < deadline)
        {
            using var response = await api.GetAsync($"api/studies/{studyInstanceUid}");
            last = await response.Content.ReadAsStringAsync();
            if (response.IsSuccessStatusCode)
            {
                var study = JsonDocument.Parse(last).RootElement.Clone();
                var graded = study.GetProperty("eyes").EnumerateArray()
                    .SelectMany(e => e.GetProperty("images").EnumerateArray())
                    .Count(i => i.GetProperty("prediction").ValueKind == JsonValueKind.Object);
                var status = study.GetProperty("status").GetString();
                if (graded >= expectedImages && status is "Graded" or "AwaitingReview")
                {
                    Assert.False(study.GetProperty("gradedAt").ValueKind == JsonValueKind.Null);
                    Assert.True(study.GetProperty("worstGrade").ValueKind == JsonValueKind.Number, last);
                    return study;
                }
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"Study not graded within 10 s; last answer: {last}");
    }

    private int CountObjects() =>
        Directory.Exists(ObjectsFolder) ? Directory.EnumerateFiles(ObjectsFolder, "*.dcm", SearchOption.AllDirectories).Count() : 0;

    public void Dispose() => Directory.Delete(_work, recursive: true);
}
