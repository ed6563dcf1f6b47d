namespace RetinaScreen.Hosting;

/// <summary>The "RetinaScreen" configuration section shared by every process.</summary>
public sealed class RetinaScreenOptions
{
    public const string SectionName = "RetinaScreen";

    /// <summary>Folder for the SQLite database, the object store and temporary files in the embedded mode.</summary>
    public string DataPath { get; set; } = "./data";

    public StorageOptions Storage { get; set; } = new();

    public BusOptions Bus { get; set; } = new();

    public OutboxOptions Outbox { get; set; } = new();

    public TelemetryOptions Telemetry { get; set; } = new();
}

public enum StorageProvider
{
    /// <summary>A folder: local in the embedded mode, a shared volume in the distributed mode.</summary>
    Folder,

    /// <summary>An S3-compatible service (AWS S3, MinIO, Ceph RGW…), addressed path-style.</summary>
    S3,
}

public sealed class StorageOptions
{
    public StorageProvider Provider { get; set; } = StorageProvider.Folder;

    /// <summary>Folder of the object store (<see cref="StorageProvider.Folder"/>); defaults to <c>{DataPath}/objects</c>.</summary>
    public string? Path { get; set; }

    /// <summary>The service, when <see cref="Provider"/> is <see cref="StorageProvider.S3"/>.</summary>
    public S3StorageOptions S3 { get; set; } = new();

    /// <summary>How often the ingest role looks for objects no row references (zero or less: never).</summary>
    public TimeSpan OrphanSweepInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Objects younger than this are never swept: an arrival stores its object before committing its row.</summary>
    public TimeSpan OrphanGraceAge { get; set; } = TimeSpan.FromHours(1);
}

public sealed class S3StorageOptions
{
    /// <summary>The service's address, e.g. <c>https://minio.hospital.local:9000</c>.</summary>
    public string? ServiceUrl { get; set; }

    public string? Bucket { get; set; }

    /// <summary>No default keys: the S3 provider refuses to start without them.</summary>
    public string? AccessKey { get; set; }

    public string? SecretKey { get; set; }

    /// <summary>The signing region; S3-compatible services on premises accept the default.</summary>
    public string Region { get; set; } = "us-east-1";
}

public enum BusTransport
{
    /// <summary>MassTransit's in-memory transport: the embedded mode, one process.</summary>
    InMemory,

    /// <summary>RabbitMQ: the distributed mode, one process per role.</summary>
    RabbitMq,
}

public sealed class BusOptions
{
    public BusTransport Transport { get; set; } = BusTransport.InMemory;

    public RabbitMqOptions RabbitMq { get; set; } = new();

    /// <summary>
    /// The second, slower retry layer ("redelivery") around each consumer's own quick exponential retries. RabbitMQ
    /// 3.10 without the delayed-exchange plugin cannot schedule a redelivery, so the message stays unacknowledged on
    /// the worker while it waits (a crashed worker hands it back to the broker). After the last interval the
    /// message moves to the endpoint's <c>_error</c> queue. Bound as <c>RetinaScreen:Bus:RedeliveryIntervals:0…</c>.
    /// </summary>
    public TimeSpan[] RedeliveryIntervals { get; set; } = [];

    /// <summary>Used when <see cref="RedeliveryIntervals"/> is empty.</summary>
    internal static readonly TimeSpan[] DefaultRedeliveryIntervals = [TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(2)];

    /// <summary>Receive endpoints whose <c>_error</c> queues the dead-letter API lists and replays.</summary>
    public string[] DeadLetterEndpoints { get; set; } = [];

    internal static readonly string[] DefaultDeadLetterEndpoints = ["grade-image"];
}

public sealed class RabbitMqOptions
{
    public string Host { get; set; } = "localhost";
    public ushort Port { get; set; } = 5672;
    public string VirtualHost { get; set; } = "/";
    /// <summary>No default credentials: the distributed mode refuses to start without them.</summary>
    public string? Username { get; set; }
    public string? Password { get; set; }

    /// <summary>A plain client connection to the broker, for the work MassTransit does not do (reading queue depths,
    /// listing and replaying dead letters); <paramref name="clientName"/> names it in the broker's connection list.</summary>
    public Task<RabbitMQ.Client.IConnection> ConnectAsync(string clientName, CancellationToken cancellationToken) =>
        new RabbitMQ.Client.ConnectionFactory
        {
            HostName = Host,
            Port = Port,
            VirtualHost = VirtualHost,
            UserName = Username ?? string.Empty,
            Password = Password ?? string.Empty,
            ClientProvidedName = clientName,
        }.CreateConnectionAsync(cancellationToken);
}

public sealed class OutboxOptions
{
    /// <summary>How often the dispatcher looks for rows nobody signalled (another replica's, or after a crash).</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Rows taken per transaction.</summary>
    public int BatchSize { get; set; } = 50;

    /// <summary>Dispatched rows are deleted after this long (they are only kept to investigate).</summary>
    public TimeSpan RetainDispatched { get; set; } = TimeSpan.FromDays(1);
}
