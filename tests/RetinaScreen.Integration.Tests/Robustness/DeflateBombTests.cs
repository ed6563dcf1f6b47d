using System.Buffers.Binary;
using System.Globalization;
using System.IO.Compression;
using RetinaScreen.Dicom;
using RetinaScreen.Dicom.IO;
using RetinaScreen.Dicom.Network;
using RetinaScreen.Integration.Tests.Infrastructure;
using Xunit.Abstractions;

namespace RetinaScreen.Integration.Tests.Robustness;

/// <summary>
/// Deflate bombs sent by C-STORE to the real host: a photograph's header, then a private OB of 1,000,000,000 zero
/// bytes, all in Deflated Explicit VR Little Endian, under a megabyte on the wire.
/// </summary>
public sealed class DeflateBombTests(EmbeddedHost host, ITestOutputHelper output) : IClassFixture<EmbeddedHost>, IDisposable
{
    private const long BombBytes = 1_000_000_000;

    /// <summary>The host's peak resident memory after four bombs at once may exceed its peak before them by this
    /// much: receiving four 1 MB objects and refusing them costs buffers, not the gigabyte each claims.</summary>
    private const long MaxPeakGrowthBytes = 128L * 1024 * 1024;

    private readonly string _work = Directory.CreateTempSubdirectory("retinascreen-bomb-").FullName;

    [Fact]
    public async Task REQ_DCM_12_Four_deflate_bombs_at_once_are_refused_without_the_host_holding_what_they_inflate_to()
    {
        var instance = DicomUidGenerator.NewUid();
        var bomb = DeflatedBomb(instance);
        Assert.True(bomb.Length < 1024 * 1024, $"the bomb is {bomb.Length} bytes");
        var peakBefore = PeakResidentBytes(host.ProcessId);

        var client = new DicomClient();
        var results = await Task.WhenAll(Enumerable.Range(0, 4).Select(i => client.StoreAsync(
            "127.0.0.1", host.DicomPort, $"BOMB{i}", "RETINASCREEN",
            [new DicomStoreItem(DicomUids.OphthalmicPhotography8Bit, instance, DicomUids.DeflatedExplicitVrLittleEndian, () => new MemoryStream(bomb, writable: false))])));

        var peakAfter = PeakResidentBytes(host.ProcessId);
        output.WriteLine($"host peak RSS (VmHWM): {peakBefore / 1048576} MB before, {peakAfter / 1048576} MB after four bombs of {bomb.Length:N0} bytes");
        foreach (var result in results.Select(r => Assert.Single(r)))
        {
            Assert.Equal(DicomStoreOutcome.Sent, result.Outcome);
            Assert.Equal(DicomStatus.CannotUnderstand, result.Status);
            Assert.Contains("inflates past the limit", result.ErrorComment, StringComparison.Ordinal);
        }

        Assert.True(peakAfter - peakBefore < MaxPeakGrowthBytes,
            $"the host's peak RSS grew from {peakBefore / 1048576} MB to {peakAfter / 1048576} MB with four bombs");

        // Nothing of the bombs was stored or recorded.
        var data = Path.Combine(host.DataPath, "data");
        Assert.Equal(0, await new DatabaseProbe(data).InstancesAsync(instance));
        Assert.False(Directory.Exists(Path.Combine(data, "objects")) && Directory.EnumerateFiles(Path.Combine(data, "objects"), "*.dcm", SearchOption.AllDirectories).Any());

        await HostStillServes.AssertAsync(host, _work, 960_900);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_work, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>VmHWM: the most resident memory the process has held since it started.</summary>
    private static long PeakResidentBytes(int processId)
    {
        var line = File.ReadLines($"/proc/{processId}/status").Single(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        var kilobytes = line["VmHWM:".Length..].Trim().Split(' ')[0];
        return long.Parse(kilobytes, CultureInfo.InvariantCulture) * 1024;
    }

    /// <summary>
    /// The data set as a camera would send it after the file meta information: a valid Ophthalmic Photography header,
    /// a private OB of <see cref="BombBytes"/> zeros (streamed into the compressor from one small buffer), and a
    /// small native pixel data. Deflate (RFC 1951) as PS3.5 A.5 asks.
    /// </summary>
    private static byte[] DeflatedBomb(string instance)
    {
        var header = new DicomDataset()
            .Set(DicomTag.SopClassUid, DicomUids.OphthalmicPhotography8Bit)
            .Set(DicomTag.SopInstanceUid, instance)
            .Set(DicomTag.StudyInstanceUid, DicomUidGenerator.NewUid())
            .Set(DicomTag.SeriesInstanceUid, DicomUidGenerator.NewUid())
            .Set(DicomTag.PatientId, "IT-BOMB")
            .Set(DicomTag.Modality, "OP")
            .Set(new DicomTag(0x0011, 0x0010), DicomVR.LO, "BOMB");
        var image = new DicomDataset()
            .Set(DicomTag.SamplesPerPixel, 1)
            .Set(DicomTag.PhotometricInterpretation, "MONOCHROME2")
            .Set(DicomTag.Rows, 16)
            .Set(DicomTag.Columns, 16)
            .Set(DicomTag.BitsAllocated, 8)
            .Set(DicomTag.BitsStored, 8)
            .Set(DicomTag.HighBit, 7)
            .Set(DicomTag.PixelRepresentation, 0)
            .Set(DicomTag.PixelData, DicomVR.OB, new byte[16 * 16]);

        using var output = new MemoryStream();
        using (var deflate = new DeflateStream(output, CompressionLevel.Optimal, leaveOpen: true))
        {
            deflate.Write(DicomDatasetWriter.ToArray(header, DicomUids.ExplicitVrLittleEndian));
            var element = new byte[12];
            BinaryPrimitives.WriteUInt16LittleEndian(element, 0x0011);
            BinaryPrimitives.WriteUInt16LittleEndian(element.AsSpan(2), 0x1010);
            element[4] = (byte)'O';
            element[5] = (byte)'B';
            BinaryPrimitives.WriteUInt32LittleEndian(element.AsSpan(8), (uint)BombBytes);
            deflate.Write(element);
            var zeros = new byte[1024 * 1024];
            for (var left = BombBytes; left > 0; left -= zeros.Length)
            {
                deflate.Write(zeros, 0, (int)Math.Min(zeros.Length, left));
            }

            deflate.Write(DicomDatasetWriter.ToArray(image, DicomUids.ExplicitVrLittleEndian));
        }

        return output.ToArray();
    }
}
