using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;
using SessionOptions = Microsoft.ML.OnnxRuntime.SessionOptions;

namespace RetinaScreen.Inference.Engine;

/// <summary>Which ONNX Runtime execution provider a session asked for and which one it got.</summary>
public static partial class ExecutionProviders
{
    public const string Cpu = "Cpu";
    public const string Cuda = "Cuda";

    /// <summary>
    /// Builds session options for <paramref name="requested"/>. CUDA needs the GPU build (msbuild property
    /// <c>InferenceGpu=true</c>, package Microsoft.ML.OnnxRuntime.Gpu.Linux) and a working CUDA runtime; when either is
    /// missing the session runs on CPU and says so once, loudly, rather than failing the worker.
    /// </summary>
    /// <returns>The options and the provider actually in use ("Cuda" or "Cpu").</returns>
    public static (SessionOptions Options, string Provider) CreateSessionOptions(string? requested, int intraOpThreads, ILogger logger, string modelName)
    {
        ArgumentNullException.ThrowIfNull(logger);
        var options = NewOptions(intraOpThreads);
        if (!string.Equals(requested, Cuda, StringComparison.OrdinalIgnoreCase))
        {
            return (options, Cpu);
        }

        try
        {
            options.AppendExecutionProvider_CUDA(0);
            LogProvider(logger, modelName, Cuda);
            return (options, Cuda);
        }
        catch (Exception e) when (e is OnnxRuntimeException or DllNotFoundException or EntryPointNotFoundException or TypeInitializationException)
        {
            // The CPU package has no CUDA provider, and a GPU image without a driver cannot load it: grade on CPU.
            LogCudaFallback(logger, modelName, e.Message);
            options.Dispose();
            return (NewOptions(intraOpThreads), Cpu);
        }
    }

    private static SessionOptions NewOptions(int intraOpThreads)
    {
        var options = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            IntraOpNumThreads = Math.Max(0, intraOpThreads),
        };

        // ONNX Runtime's worker threads spin between operators by default. A worker's model shares the cores with the
        // decoding and cropping of the next photographs (and, in the embedded host, with DICOM receive), and a spinning
        // thread takes a core from them while it waits; without spinning, a thread sleeps until the next operator.
        options.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
        return options;
    }

    [LoggerMessage(EventId = 2030, Level = LogLevel.Information, Message = "Model {ModelName} runs on the {Provider} execution provider")]
    private static partial void LogProvider(ILogger logger, string modelName, string provider);

    [LoggerMessage(EventId = 2031, Level = LogLevel.Warning, Message = "CUDA was requested for model {ModelName} but is not available ({Reason}); falling back to the CPU execution provider")]
    private static partial void LogCudaFallback(ILogger logger, string modelName, string reason);
}
