using System.Text.Json.Nodes;

namespace RetinaScreen.Ingest.DicomWeb;

/// <summary>
/// The PS3.18 10.5.3 store instances response as a DICOM JSON data set (PS3.18 Annex F): Referenced SOP Sequence
/// (0008,1199) for what is stored, Failed SOP Sequence (0008,1198) with Failure Reason (0008,1197) for the rest.
/// </summary>
internal sealed class StoreResponse
{
    private readonly JsonArray _referenced = [];
    private readonly JsonArray _failed = [];

    public int StoredCount => _referenced.Count;
    public int FailedCount => _failed.Count;

    public void Stored(string sopClassUid, string sopInstanceUid) =>
        _referenced.Add(new JsonObject
        {
            ["00081150"] = Uid(sopClassUid),
            ["00081155"] = Uid(sopInstanceUid),
        });

    public void Failed(string? sopClassUid, string? sopInstanceUid, ushort failureReason) =>
        _failed.Add(new JsonObject
        {
            ["00081150"] = Uid(sopClassUid),
            ["00081155"] = Uid(sopInstanceUid),
            ["00081197"] = new JsonObject { ["vr"] = "US", ["Value"] = new JsonArray(failureReason) },
        });

    /// <summary>200 all stored, 409 none stored, 202 some stored (PS3.18 10.5.3 and its status table).</summary>
    public int HttpStatus => _failed.Count == 0 ? 200 : _referenced.Count == 0 ? 409 : 202;

    public JsonObject ToJson()
    {
        var dataset = new JsonObject();
        if (_failed.Count > 0)
        {
            dataset["00081198"] = new JsonObject { ["vr"] = "SQ", ["Value"] = _failed };
        }

        if (_referenced.Count > 0)
        {
            dataset["00081199"] = new JsonObject { ["vr"] = "SQ", ["Value"] = _referenced };
        }

        return dataset;
    }

    /// <summary>A UID the part did not let us read (unreadable object) is sent without a value, as Annex F allows.</summary>
    private static JsonObject Uid(string? uid) => string.IsNullOrEmpty(uid)
        ? new JsonObject { ["vr"] = "UI" }
        : new JsonObject { ["vr"] = "UI", ["Value"] = new JsonArray(uid) };
}
