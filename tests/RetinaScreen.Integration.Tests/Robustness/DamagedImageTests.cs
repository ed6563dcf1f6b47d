using System.Buffers.Binary;
using System.Globalization;
using RetinaScreen.Integration.Tests.Infrastructure;

namespace RetinaScreen.Integration.Tests.Robustness;

/// <summary>
/// Damaged photographs sent by DCMTK's storescu to the real embedded host: each is refused at ingest with
/// "data set does not match SOP class" and a precise error comment, or, where nothing short of a full decode shows the
/// damage, stored and answered "ungradable: image data damaged" and sent to a person. None is graded with a DR grade,
/// no case stays Received, and the host goes on serving. The damaged files are made from an intact camera JPEG by cutting
/// or patching its bytes and by img2dcm, dcmdjpeg and dcmodify.
/// </summary>
public sealed class DamagedImageTests(EmbeddedHost host) : IClassFixture<EmbeddedHost>, IDisposable
{
    private readonly string _work = Directory.CreateTempSubdirectory("retinascreen-damaged-").FullName;
    private DatabaseProbe Database => new(Path.Combine(host.DataPath, "data"));

    [Theory]
    [InlineData("cut-at-85-percent", 961_001, "no end-of-image marker")]
    [InlineData("rows-and-columns-disagree-with-the-jpeg", 961_002, "data set says 512x512")]
    [InlineData("header-claims-65500-square", 961_003, "cannot hold a 65500x65500 image")]
    [InlineData("native-12-bytes-for-65535-square", 961_004, "holds 12 bytes")]
    public async Task REQ_PIPE_21_visibly_damaged_pixel_data_is_refused_at_ingest_with_its_reason(string damage, int seed, string reason)
    {
        var file = await DamagedAsync(damage, seed);
        var sop = await TestImages.ReadSopInstanceUidAsync(file);
        var study = await TestImages.ReadStudyInstanceUidAsync(file);

        var sent = await StorescuAsync(file, native: damage.StartsWith("native", StringComparison.Ordinal));

        Assert.Contains("0xa900", sent, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("image data damaged: ", sent, StringComparison.Ordinal);
        Assert.Contains(reason, sent, StringComparison.Ordinal);
        Assert.Equal(0, await Database.InstancesAsync(sop));
        Assert.Equal(0, await Database.ScreeningsAsync(study));
        await HostStillServes.AssertAsync(host, _work, seed + 500);
    }

    [Fact]
    public async Task REQ_PIPE_21_a_damaged_photograph_posted_by_stow_rs_is_refused_with_a900()
    {
        var file = await DamagedAsync("rows-and-columns-disagree-with-the-jpeg", 961_020);
        var sop = await TestImages.ReadSopInstanceUidAsync(file);
        using var admin = await host.LoginAsync();
        var token = await RetinaScreen.Integration.Tests.Ingest.DevicePolicyTests.RegisterAsync(admin, "Damaged STOW camera", null, null);
        using var device = new HttpClient { BaseAddress = host.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        device.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);

        using var response = await device.PostAsync("dicomweb/studies", RetinaScreen.Integration.Tests.Ingest.StowRsTests.Multipart([await File.ReadAllBytesAsync(file)]));

        Assert.Equal(System.Net.HttpStatusCode.Conflict, response.StatusCode);
        var failed = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("00081198").GetProperty("Value")[0];
        Assert.Equal(0xA900, failed.GetProperty("00081197").GetProperty("Value")[0].GetInt32());
        Assert.Equal(0, await Database.InstancesAsync(sop));
        await HostStillServes.AssertAsync(host, _work, 961_520);
    }

    [Fact]
    public async Task REQ_PIPE_22_a_photograph_cut_at_60_percent_with_an_end_of_image_marker_ends_ungradable_as_damaged_and_goes_to_review()
    {
        var file = await DamagedAsync("cut-at-60-percent-with-end-of-image", 961_010);
        var sop = await TestImages.ReadSopInstanceUidAsync(file);
        var study = await TestImages.ReadStudyInstanceUidAsync(file);

        // Head and tail look whole: only a walk through every block shows the scan stops early, so ingest stores it.
        var sent = await StorescuAsync(file);
        Assert.DoesNotContain("0xa900", sent, StringComparison.OrdinalIgnoreCase);

        using var api = await host.LoginAsync();
        var prediction = await WaitForPredictionAsync(api, study);
        Assert.False(prediction.GetProperty("gradable").GetBoolean(), prediction.ToString());
        Assert.StartsWith("image data damaged: ", prediction.GetProperty("ungradableReason").GetString(), StringComparison.Ordinal);
        Assert.Equal(System.Text.Json.JsonValueKind.Null, prediction.GetProperty("grade").ValueKind);
        Assert.Equal(System.Text.Json.JsonValueKind.Null, prediction.GetProperty("heatmapUrl").ValueKind);

        // A person sees it (Primary review, urgent as ungradable cases are), the audit trail says why, and it is answered
        // once: the refusal is terminal, not retried.
        Assert.Equal(1, await Database.CountAsync(
            "SELECT COUNT(*) FROM Screenings c JOIN Studies s ON s.Id = c.StudyId WHERE s.StudyInstanceUid = $uid AND c.Status = 'AwaitingReview' AND c.Queue = 'Primary' AND c.AnyUngradable = 1",
            ("$uid", study)));
        Assert.Equal(1, await Database.CountAsync(
            "SELECT COUNT(*) FROM AuditEvents WHERE Action = 'prediction.created' AND EntityId = $uid AND Details LIKE '%image data damaged%'", ("$uid", sop)));
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.Equal(1, await Database.PredictionsAsync(sop));
        Assert.Equal(0, await Database.CountAsync(
            "SELECT COUNT(*) FROM Predictions p JOIN Instances i ON i.Id = p.InstanceId WHERE i.SopInstanceUid = $uid AND (p.Gradable = 1 OR p.Grade IS NOT NULL)", ("$uid", sop)));
        await HostStillServes.AssertAsync(host, _work, 961_510);
    }

    /// <summary>One damaged Ophthalmic Photography file, made from an intact synthetic camera JPEG.</summary>
    private async Task<string> DamagedAsync(string damage, int seed)
    {
        var intact = TestImages.FundusJpeg(_work, seed);
        var jpeg = await File.ReadAllBytesAsync(intact);
        var output = Path.Combine(_work, $"{damage}.dcm");
        var patientId = $"IT-DMG-{seed}";
        switch (damage)
        {
            case "cut-at-85-percent":
                // img2dcm refuses a cut JPEG file, so the photograph is cut inside the DICOM file, as a transfer or a
                // disk would cut it: its one fragment keeps 85 % of its bytes.
                await TestImages.Img2DcmOphthalmicAsync(intact, output, "R", patientId);
                await CutFragmentAsync(output, percent: 85);
                return output;
            case "cut-at-60-percent-with-end-of-image":
                return await Img2DcmAsync([.. jpeg[..(jpeg.Length * 60 / 100)], 0xFF, 0xD9], output, patientId);
            case "rows-and-columns-disagree-with-the-jpeg":
                await TestImages.Img2DcmOphthalmicAsync(intact, output, "R", patientId);
                await DcmodifyAsync(output, "Rows=512", "Columns=512");
                return output;
            case "header-claims-65500-square":
                // The frame header says 65,500 pixels square over the photograph's few tens of kilobytes; img2dcm takes
                // Rows and Columns from it.
                var sof = jpeg.AsSpan().IndexOf([(byte)0xFF, (byte)0xC0]);
                BinaryPrimitives.WriteUInt16BigEndian(jpeg.AsSpan(sof + 5), 65500);
                BinaryPrimitives.WriteUInt16BigEndian(jpeg.AsSpan(sof + 7), 65500);
                return await Img2DcmAsync(jpeg, output, patientId);
            case "native-12-bytes-for-65535-square":
                // A 2x2 photograph decompressed by DCMTK holds 12 bytes of RGB; its header then claims 65,535 square.
                var tiny = Path.Combine(_work, $"tiny-{seed}.jpg");
                await File.WriteAllBytesAsync(tiny, RetinaScreen.Dicom.Imaging.JpegFrameEncoder.Encode(
                    new RetinaScreen.Dicom.Imaging.RgbFrame(2, 2, [200, 80, 40, 200, 80, 40, 200, 80, 40, 200, 80, 40])));
                var compressed = await TestImages.Img2DcmOphthalmicAsync(tiny, Path.Combine(_work, $"tiny-{seed}.dcm"), "R", patientId);
                var decompressed = await ExternalTool.RunAsync("dcmdjpeg", [compressed, output]);
                Assert.True(decompressed.ExitCode == 0, decompressed.Output);
                await DcmodifyAsync(output, "Rows=65535", "Columns=65535");
                return output;
            default:
                throw new ArgumentOutOfRangeException(nameof(damage), damage, "unknown damage");
        }
    }

    private static async Task<string> Img2DcmAsync(byte[] jpeg, string output, string patientId)
    {
        var damaged = Path.ChangeExtension(output, ".jpg");
        await File.WriteAllBytesAsync(damaged, jpeg);
        return await TestImages.Img2DcmOphthalmicAsync(damaged, output, "R", patientId);
    }

    /// <summary>Cuts the single JPEG fragment img2dcm writes (after an empty offset table item) to
    /// <paramref name="percent"/> of its length and closes the pixel data sequence after it.</summary>
    private static async Task CutFragmentAsync(string file, int percent)
    {
        var bytes = await File.ReadAllBytesAsync(file);
        var jpeg = bytes.AsSpan().IndexOf([(byte)0xFF, (byte)0xD8, (byte)0xFF]);
        var item = jpeg - 8;
        Assert.True(item > 0 && bytes.AsSpan(item, 4).SequenceEqual(new byte[] { 0xFE, 0xFF, 0x00, 0xE0 }), "img2dcm's fragment item was not where expected");
        var kept = (int)BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(item + 4)) * percent / 100 & ~1;
        var cut = new byte[jpeg + kept + 8];
        bytes.AsSpan(0, jpeg).CopyTo(cut);
        BinaryPrimitives.WriteUInt32LittleEndian(cut.AsSpan(item + 4), (uint)kept);
        bytes.AsSpan(jpeg, kept).CopyTo(cut.AsSpan(jpeg));
        new byte[] { 0xFE, 0xFF, 0xDD, 0xE0, 0, 0, 0, 0 }.CopyTo(cut.AsSpan(jpeg + kept));
        await File.WriteAllBytesAsync(file, cut);
    }

    private static async Task DcmodifyAsync(string file, params string[] assignments)
    {
        var result = await ExternalTool.RunAsync("dcmodify", ["-nb", .. assignments.SelectMany(a => new[] { "-m", a }), file]);
        Assert.True(result.ExitCode == 0, result.Output);
    }

    /// <returns>storescu's output, with the C-STORE response's status and error comment (debug level).</returns>
    private async Task<string> StorescuAsync(string file, bool native = false)
    {
        string[] propose = native ? [] : ["-xy"];
        var result = await ExternalTool.RunAsync("storescu",
            ["-d", .. propose, "-aet", "DAMAGEDCAM", "-aec", "RETINASCREEN", "127.0.0.1", host.DicomPort.ToString(CultureInfo.InvariantCulture), file]);
        return result.Output;
    }

    private static async Task<System.Text.Json.JsonElement> WaitForPredictionAsync(HttpClient api, string studyInstanceUid)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        var last = "";
        while (DateTime.UtcNow < deadline)
        {
            using var response = await api.GetAsync($"api/studies/{studyInstanceUid}");
            last = await response.Content.ReadAsStringAsync();
            if (response.IsSuccessStatusCode)
            {
                using var study = System.Text.Json.JsonDocument.Parse(last);
                var prediction = study.RootElement.GetProperty("eyes").EnumerateArray()
                    .SelectMany(e => e.GetProperty("images").EnumerateArray())
                    .Select(i => i.GetProperty("prediction"))
                    .FirstOrDefault(p => p.ValueKind == System.Text.Json.JsonValueKind.Object);
                if (prediction.ValueKind == System.Text.Json.JsonValueKind.Object && study.RootElement.GetProperty("status").GetString() != "Received")
                {
                    return prediction.Clone();
                }
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"No prediction within 60 s; last answer: {last}");
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_work, recursive: true);
        }
        catch (IOException)
        {
            // A temp folder left behind is harmless.
        }
    }
}
