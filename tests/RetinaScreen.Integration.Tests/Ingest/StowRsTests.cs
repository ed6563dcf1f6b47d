using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using RetinaScreen.Integration.Tests.Infrastructure;

namespace RetinaScreen.Integration.Tests.Ingest;

/// <summary>STOW-RS (PS3.18 10.5) over real HTTP against the host process, authenticated by a device token.</summary>
public sealed class StowRsTests(EmbeddedHost host) : IClassFixture<EmbeddedHost>, IDisposable
{
    private const string Boundary = "retinascreen-stow-boundary";
    private readonly string _work = Directory.CreateTempSubdirectory("retinascreen-stow-").FullName;
    private string DataFolder => Path.Combine(host.DataPath, "data");

    [Fact]
    public async Task REQ_ING_12_Stow_stores_every_part_and_answers_the_referenced_sop_sequence()
    {
        using var device = await DeviceClientAsync("STOW camera 1");
        var files = new[] { await PhotographAsync(960_100), await PhotographAsync(960_101) };

        using var response = await device.PostAsync("dicomweb/studies", Multipart(files.Select(File.ReadAllBytes)));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        Assert.Equal("application/dicom+json", response.Content.Headers.ContentType?.MediaType);

        var referenced = JsonDocument.Parse(body).RootElement.GetProperty("00081199").GetProperty("Value");
        Assert.Equal(2, referenced.GetArrayLength());
        foreach (var file in files)
        {
            var sop = await TestImages.ReadSopInstanceUidAsync(file);
            Assert.Contains(referenced.EnumerateArray(), item => item.GetProperty("00081155").GetProperty("Value")[0].GetString() == sop);
            Assert.Equal(Part10.Dataset(file), Part10.Dataset((await Part10.StoredObjectAsync(DataFolder, sop))!));
            // Same audit record as a C-STORE, naming the device and the STOW-RS destination.
            Assert.Equal(1, await new DatabaseProbe(DataFolder).CountAsync(
                "SELECT COUNT(*) FROM AuditEvents WHERE Action = 'instance.received' AND EntityId = $uid AND Actor = 'stow:STOW camera 1' AND Details LIKE '%\"destination\":\"/dicomweb/studies\"%'",
                ("$uid", sop)));
        }
    }

    [Fact]
    public async Task REQ_ING_13_Stow_answers_202_with_failure_reasons_when_some_parts_fail_and_409_when_all_do()
    {
        using var device = await DeviceClientAsync("STOW camera 2");
        var good = await PhotographAsync(960_200);
        var garbage = Encoding.ASCII.GetBytes(new string('x', 300));

        using var mixed = await device.PostAsync("dicomweb/studies", Multipart([File.ReadAllBytes(good), garbage]));
        var mixedBody = JsonDocument.Parse(await mixed.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(HttpStatusCode.Accepted, mixed.StatusCode);
        Assert.Equal(1, mixedBody.GetProperty("00081199").GetProperty("Value").GetArrayLength());
        var failure = mixedBody.GetProperty("00081198").GetProperty("Value")[0];
        Assert.Equal(0xC000, failure.GetProperty("00081197").GetProperty("Value")[0].GetInt32());

        // A photograph posted to another study's URL is refused (A900) and not stored.
        var other = await PhotographAsync(960_201);
        using var wrongStudy = await device.PostAsync("dicomweb/studies/1.2.3.4.5.6", Multipart([File.ReadAllBytes(other)]));
        Assert.Equal(HttpStatusCode.Conflict, wrongStudy.StatusCode);
        var reason = JsonDocument.Parse(await wrongStudy.Content.ReadAsStringAsync()).RootElement.GetProperty("00081198").GetProperty("Value")[0];
        Assert.Equal(0xA900, reason.GetProperty("00081197").GetProperty("Value")[0].GetInt32());
        Assert.Equal(0, await new DatabaseProbe(DataFolder).InstancesAsync(await TestImages.ReadSopInstanceUidAsync(other)));
    }

    [Fact]
    public async Task REQ_ING_14_Stow_requires_a_device_token_not_a_user_login()
    {
        var file = await PhotographAsync(960_300);
        using var anonymous = new HttpClient { BaseAddress = host.BaseAddress };
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsync("dicomweb/studies", Multipart([File.ReadAllBytes(file)]))).StatusCode);
        anonymous.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "rsdev_" + new string('0', 64));
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsync("dicomweb/studies", Multipart([File.ReadAllBytes(file)]))).StatusCode);

        using var user = await host.LoginAsync();
        Assert.Equal(HttpStatusCode.Unauthorized, (await user.PostAsync("dicomweb/studies", Multipart([File.ReadAllBytes(file)]))).StatusCode);
        Assert.Equal(0, await new DatabaseProbe(DataFolder).InstancesAsync(await TestImages.ReadSopInstanceUidAsync(file)));

        using var device = await DeviceClientAsync("STOW camera 3");
        using var wrongType = new ByteArrayContent(File.ReadAllBytes(file));
        wrongType.Headers.ContentType = new MediaTypeHeaderValue("application/dicom");
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, (await device.PostAsync("dicomweb/studies", wrongType)).StatusCode);
    }

    [Fact]
    public async Task REQ_ING_15_Stow_body_cut_short_is_a_400_problem_and_nothing_is_stored()
    {
        using var device = await DeviceClientAsync("STOW camera 4");
        var complete = await PhotographAsync(960_400);
        var cut = await PhotographAsync(960_401);
        var whole = await Multipart([File.ReadAllBytes(complete), File.ReadAllBytes(cut)]).ReadAsByteArrayAsync();
        // The first part is complete, the body ends inside the second: nothing at all may be stored.
        var truncated = new ByteArrayContent(whole[..(whole.Length - 1000)]);
        truncated.Headers.ContentType = MediaTypeHeaderValue.Parse($"multipart/related; type=\"application/dicom\"; boundary={Boundary}");

        using var response = await device.PostAsync("dicomweb/studies", truncated);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(0, await new DatabaseProbe(DataFolder).InstancesAsync(await TestImages.ReadSopInstanceUidAsync(complete)));
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(DataFolder, "tmp"), "stow-*"));

        // A sender whose connection drops before Content-Length bytes: no answer to read, but nothing kept either.
        using (var client = new TcpClient())
        {
            await client.ConnectAsync("127.0.0.1", host.HttpPort);
            var stream = client.GetStream();
            var head = $"POST /dicomweb/studies HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: {device.DefaultRequestHeaders.Authorization}\r\n" +
                $"Content-Type: multipart/related; type=\"application/dicom\"; boundary={Boundary}\r\nContent-Length: {whole.Length}\r\n\r\n";
            await stream.WriteAsync(Encoding.ASCII.GetBytes(head));
            await stream.WriteAsync(whole.AsMemory(0, whole.Length / 2));
            await stream.FlushAsync();
            await Task.Delay(500);
            client.Client.LingerState = new LingerOption(true, 0);
        }

        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (Directory.EnumerateFiles(Path.Combine(DataFolder, "tmp"), "stow-*").Any() && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        Assert.Empty(Directory.EnumerateFiles(Path.Combine(DataFolder, "tmp"), "stow-*"));
        Assert.Equal(0, await new DatabaseProbe(DataFolder).InstancesAsync(await TestImages.ReadSopInstanceUidAsync(complete)));
        Assert.True(host.IsRunning);
    }

    private async Task<HttpClient> DeviceClientAsync(string name)
    {
        using var admin = await host.LoginAsync();
        var token = await DevicePolicyTests.RegisterAsync(admin, name, null, null);
        var client = new HttpClient { BaseAddress = host.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    internal static MultipartContent Multipart(IEnumerable<byte[]> parts)
    {
        var content = new MultipartContent("related", Boundary);
        content.Headers.ContentType!.Parameters.Add(new NameValueHeaderValue("type", "\"application/dicom\""));
        foreach (var part in parts)
        {
            var item = new ByteArrayContent(part);
            item.Headers.ContentType = new MediaTypeHeaderValue("application/dicom");
            content.Add(item);
        }

        return content;
    }

    private async Task<string> PhotographAsync(int seed) =>
        await TestImages.Img2DcmOphthalmicAsync(TestImages.FundusJpeg(_work, seed), Path.Combine(_work, $"op-{seed}.dcm"), "R", $"IT-{seed}");

    public void Dispose() => Directory.Delete(_work, recursive: true);
}
