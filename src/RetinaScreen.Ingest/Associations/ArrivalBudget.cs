using RetinaScreen.Dicom.Network;
using RetinaScreen.Ingest.Storage;

namespace RetinaScreen.Ingest.Associations;

/// <summary>The bounds of one C-STORE data set: its SOP class family's size limit and room under the disk watermark.</summary>
internal sealed class ArrivalBudget(long maxDatasetBytes, DiskWatermark.Reservation room) : IDicomReceiveBudget
{
    public long MaxDatasetBytes { get; } = maxDatasetBytes;

    public bool TryReserve(long datasetBytes) => room.TryGrow(datasetBytes);

    public void Dispose() => room.Dispose();
}
