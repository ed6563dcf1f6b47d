using RetinaScreen.Dicom.Network;

namespace RetinaScreen.Dicom.Tests.Network;

public sealed class EchoTests
{
    [Fact]
    public async Task REQ_NET_02_Echoscu_is_answered_with_success()
    {
        await using var harness = await ServerHarness.StartAsync();

        var echoscu = await Dcmtk.RunAsync("echoscu", $"-v -aec RETINASCREEN 127.0.0.1 {harness.Port}");

        Assert.True(echoscu.ExitCode == 0, echoscu.Output);
        Assert.Contains("Received Echo Response (Success)", echoscu.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task REQ_NET_02_Our_scu_echoes_our_scp()
    {
        await using var harness = await ServerHarness.StartAsync();

        var status = await new DicomClient().EchoAsync("127.0.0.1", harness.Port, "TESTSCU", "RETINASCREEN");

        Assert.Equal(DicomStatus.Success, status);
        await AssociationNegotiationTests.WaitUntilAsync(() => harness.Server.ActiveAssociations == 0);
    }

    [Fact]
    public async Task REQ_NET_02_Our_scu_echoes_dcmtk_storescp()
    {
        using var folder = new TempFolder();
        await using var storescp = await DcmtkStoreScp.StartAsync(folder.Sub("out"));

        var status = await new DicomClient().EchoAsync("127.0.0.1", storescp.Port, "TESTSCU", "STORESCP");

        Assert.Equal(DicomStatus.Success, status);
    }
}
