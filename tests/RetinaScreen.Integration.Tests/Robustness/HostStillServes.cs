using System.Globalization;
using RetinaScreen.Integration.Tests.Infrastructure;

namespace RetinaScreen.Integration.Tests.Robustness;

/// <summary>
/// The check every robustness test ends with: after the hostile or broken input, the same host process still answers
/// C-ECHO and still stores and grades a normal photograph.
/// </summary>
internal static class HostStillServes
{
    public static async Task AssertAsync(EmbeddedHost host, string workFolder, int seed, string callingAeTitle = "STORESCU")
    {
        Assert.True(host.IsRunning, "The host process exited:\n" + host.Log);
        var port = host.DicomPort.ToString(CultureInfo.InvariantCulture);

        // Refused or broken associations are released asynchronously: a bounded wait for a free slot.
        await WaitAsync(async () => (await ExternalTool.RunAsync("echoscu", ["-aet", callingAeTitle, "-aec", "RETINASCREEN", "127.0.0.1", port])).ExitCode == 0,
            TimeSpan.FromSeconds(30), "C-ECHO");

        var file = await TestImages.Img2DcmOphthalmicAsync(
            TestImages.FundusJpeg(workFolder, seed), Path.Combine(workFolder, $"still-serves-{seed}.dcm"), "L", $"IT-OK-{seed}");
        var sent = await ExternalTool.RunAsync("storescu", ["-xy", "-aet", callingAeTitle, "-aec", "RETINASCREEN", "127.0.0.1", port, file]);
        Assert.True(sent.ExitCode == 0 && !sent.Output.Contains("E: ", StringComparison.Ordinal), sent.Output);

        var sop = await TestImages.ReadSopInstanceUidAsync(file);
        var probe = new DatabaseProbe(Path.Combine(host.DataPath, "data"));
        await WaitAsync(async () => await probe.PredictionsAsync(sop) >= 1, TimeSpan.FromSeconds(60), "grading of a normal photograph");
    }

    private static async Task WaitAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{what} did not succeed within {timeout} after the hostile input.");
            }

            await Task.Delay(200);
        }
    }
}
