using MassTransit;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RetinaScreen.Contracts;
using RetinaScreen.Data.Storage;
using RetinaScreen.Dicom.Network;
using RetinaScreen.Hosting.Devices;
using RetinaScreen.Ingest.Associations;
using RetinaScreen.Ingest.Devices;
using RetinaScreen.Ingest.Storage;

namespace RetinaScreen.Ingest.Queue;

/// <summary>
/// The camera queue: a gateway's <see cref="SubmitDicomInstance"/> goes through the same <see cref="InstanceIngestor"/>
/// as a C-STORE, and is answered with <see cref="DicomInstanceAccepted"/> or <see cref="DicomInstanceRejected"/>.
/// </summary>
public sealed partial class SubmitDicomInstanceConsumer(
    InstanceIngestor ingestor,
    DeviceDirectory devices,
    IObjectStore objectStore,
    IOptions<IngestOptions> ingestOptions,
    IOptions<DicomServerOptions> dicomOptions,
    ILogger<SubmitDicomInstanceConsumer> logger) : IConsumer<SubmitDicomInstance>
{
    /// <summary>PS3.7 C.5: Refused, not authorized.</summary>
    public const ushort NotAuthorized = DicomStatus.RefusedNotAuthorized;

    public async Task Consume(ConsumeContext<SubmitDicomInstance> context)
    {
        var message = context.Message;
        var device = await devices.FindByTokenAsync(message.DeviceToken, context.CancellationToken);
        if (device is null)
        {
            await RejectAsync(context, NotAuthorized, "Unknown or disabled device token.");
            return;
        }

        if ((message.Part10 is null) == (message.StorageKey is null))
        {
            await RejectAsync(context, DicomStatus.CannotUnderstand, "Exactly one of Part10 and StorageKey must be set.");
            return;
        }

        if (message.Part10 is { } inline && inline.Length > ingestOptions.Value.MaxInlineSubmissionBytes)
        {
            await RejectAsync(context, DicomStatus.OutOfResources, $"Inline objects are limited to {ingestOptions.Value.MaxInlineSubmissionBytes} bytes; put larger ones in the store and send their key.");
            return;
        }

        // A key names an object in the store, never a path elsewhere on the ingest machine.
        if (message.StorageKey is { } key && (key.Contains("..", StringComparison.Ordinal) || Path.IsPathRooted(key) || key.Contains('\\', StringComparison.Ordinal)))
        {
            await RejectAsync(context, DicomStatus.CannotUnderstand, "The storage key is not a key of the object store.");
            return;
        }

        var tempFolder = dicomOptions.Value.ResolveTempDirectory();
        Directory.CreateDirectory(tempFolder);
        var path = Path.Combine(tempFolder, $"queue-{message.SubmissionId:N}-{Guid.NewGuid():N}.dcm");
        try
        {
            await using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.Asynchronous))
            {
                if (message.Part10 is { } bytes)
                {
                    await file.WriteAsync(bytes, context.CancellationToken);
                }
                else
                {
                    await using var source = await objectStore.OpenReadAsync(message.StorageKey!, context.CancellationToken);
                    await source.CopyToAsync(file, context.CancellationToken);
                }

                file.Flush(flushToDisk: true);
            }
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            File.Delete(path);
            await RejectAsync(context, DicomStatus.CannotUnderstand, "No object in the store under that key.");
            return;
        }

        // The ingestor owns the file from here and deletes it whatever happens.
        var outcome = await ingestor.IngestAsync(
            new IngestRequest(path, $"queue:{device.Name}", RemoteEndPoint: null, Device: device.Name, Destination: $"queue:{context.ReceiveContext.InputAddress.AbsolutePath.Trim('/')}"),
            context.CancellationToken);

        if (outcome.Succeeded)
        {
            await AnswerAsync(context, new DicomInstanceAccepted
            {
                SubmissionId = message.SubmissionId,
                SopInstanceUid = outcome.SopInstanceUid!,
                Duplicate = outcome.Result == IngestResult.Duplicate,
            });
            return;
        }

        var status = CStoreHandler.ToDimseStatus(outcome);
        await RejectAsync(context, status.Status, outcome.Reason ?? "Not stored.", outcome.SopInstanceUid);
    }

    private async Task RejectAsync(ConsumeContext<SubmitDicomInstance> context, ushort status, string reason, string? sopInstanceUid = null)
    {
        LogRejected(logger, context.Message.SubmissionId, status);
        await AnswerAsync(context, new DicomInstanceRejected
        {
            SubmissionId = context.Message.SubmissionId,
            Status = status,
            Reason = reason,
            SopInstanceUid = sopInstanceUid,
        });
    }

    /// <summary>A request gets a response; a fire-and-forget submission gets the answer published for the gateway's subscription.</summary>
    private static Task AnswerAsync<T>(ConsumeContext context, T answer) where T : class =>
        context.ResponseAddress is not null ? context.RespondAsync(answer) : context.Publish(answer);

    [LoggerMessage(EventId = 4120, Level = LogLevel.Warning, Message = "Queue submission {SubmissionId} rejected with status {Status:X4}")]
    private static partial void LogRejected(ILogger logger, Guid submissionId, ushort status);
}
