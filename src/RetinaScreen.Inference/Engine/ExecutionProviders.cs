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
        var options = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            IntraOpNumThreads = Math.Max(0, intraOpThreads),
        };
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
            options = new SessionOptions
            {
                GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
                ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
                IntraOpNumThreads = Math.Max(0, intraOpThreads),
            };
            return (options, Cpu);
        }
    }

    [LoggerMessage(EventId = 2030, Level = LogLevel.Information, Message = "Model {ModelName} runs on the {Provider} execution provider")]
    private static partial void LogProvider(ILogger logger, string modelName, string provider);

    [LoggerMessage(EventId = 2031, Level = LogLevel.Warning, Message = "CUDA was requested for model {ModelName} but is not available ({Reason}); falling back to the CPU execution provider")]
    private static partial void LogCudaFallback(ILogger logger, string modelName, string reason);
}
