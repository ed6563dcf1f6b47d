namespace RetinaScreen.Hosting;

/// <summary>The "RetinaScreen" configuration section shared by every process.</summary>
public sealed class RetinaScreenOptions
{
    public const string SectionName = "RetinaScreen";

    /// <summary>Folder for the SQLite database, the object store and temporary files in the embedded mode.</summary>
    public string DataPath { get; set; } = "./data";

    public StorageOptions Storage { get; set; } = new();

    public BusOptions Bus { get; set; } = new();
}

public sealed class StorageOptions
{
    /// <summary>Folder of the object store; defaults to <c>{DataPath}/objects</c>.</summary>
    public string? Path { get; set; }
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
}

public sealed class RabbitMqOptions
{
    public string Host { get; set; } = "localhost";
    public ushort Port { get; set; } = 5672;
    public string VirtualHost { get; set; } = "/";
    /// <summary>No default credentials: the distributed mode refuses to start without them.</summary>
    public string? Username { get; set; }
    public string? Password { get; set; }
}
