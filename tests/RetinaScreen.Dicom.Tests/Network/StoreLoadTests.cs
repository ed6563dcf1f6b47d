using System.Security.Cryptography;
using RetinaScreen.Dicom.Network;

namespace RetinaScreen.Dicom.Tests.Network;

public sealed class StoreLoadTests
{
    [Fact]
    public async Task REQ_NET_03_Large_data_set_streams_through_to_disk_intact()
    {
        const long size = 48L * 1024 * 1024;
        var handler = new HashingHandler();
        await using var harness = await ServerHarness.StartAsync(handler: handler);
        var source = new GeneratedStream(size);
        var item = new DicomStoreItem(DicomUids.VlWholeSlideMicroscopyImage, DicomUidGenerator.NewUid(), DicomUids.JpegBaseline, () => source);

        var result = Assert.Single(await new DicomClient().StoreAsync("127.0.0.1", harness.Port, "TESTSCU", "RETINASCREEN", [item]));

        Assert.True(result.IsSuccess, $"{result.Outcome} {result.Status}");
        Assert.Equal(size, handler.DatasetLength);
        Assert.Equal(source.Hash, handler.DatasetHash);
        Assert.Empty(harness.IncomingFiles());
    }

    [Fact]
    public async Task REQ_NET_03_Several_associations_store_concurrently()
    {
        await using var harness = await ServerHarness.StartAsync(o => o.MaxConcurrentAssociations = 8);
        var client = new DicomClient();

        var sends = Enumerable.Range(0, 6).Select(async a =>
        {
            var items = Enumerable.Range(0, 5).Select(i =>
            {
                var data = new byte[10_000 + (a * 1000) + i];
                Random.Shared.NextBytes(data);
                return new DicomStoreItem(DicomUids.SecondaryCapture, DicomUidGenerator.NewUid(), DicomUids.ExplicitVrLittleEndian, () => new MemoryStream(data));
            }).ToList();
            return await client.StoreAsync("127.0.0.1", harness.Port, $"CAMERA{a}", "RETINASCREEN", items);
        });
        var results = (await Task.WhenAll(sends)).SelectMany(r => r).ToList();

        Assert.Equal(30, results.Count);
        Assert.All(results, r => Assert.True(r.IsSuccess));
        Assert.Equal(30, harness.Handler.Received.Count);
        Assert.Equal(6, harness.Handler.Received.Select(r => r.Request.CallingAeTitle).Distinct().Count());
    }

    private sealed class HashingHandler : IDicomStoreHandler
    {
        public long DatasetLength { get; private set; }

        public byte[]? DatasetHash { get; private set; }

        public async Task<DicomStoreResult> StoreAsync(DicomStoreRequest request, CancellationToken cancellationToken)
        {
            DatasetLength = request.DatasetLength;
            await using var file = File.OpenRead(request.Part10FilePath);
            file.Position = file.Length - request.DatasetLength;
            DatasetHash = await SHA256.HashDataAsync(file, cancellationToken);
            return DicomStoreResult.Success;
        }
    }

    /// <summary>A non-seekable source that hashes what it hands out, so nothing of the size is ever held in memory.</summary>
    private sealed class GeneratedStream(long length) : Stream
    {
        private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        private long _position;

        public byte[]? Hash { get; private set; }

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var count = (int)Math.Min(buffer.Length, length - _position);
            for (var i = 0; i < count; i++)
            {
                buffer[i] = (byte)((_position + i) * 31 >> 3);
            }

            _position += count;
            _hash.AppendData(buffer[..count]);
            if (_position == length && Hash is null)
            {
                Hash = _hash.GetHashAndReset();
            }

            return count;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => ValueTask.FromResult(Read(buffer.Span));

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _hash.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
