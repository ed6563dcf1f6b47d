using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;

namespace RetinaScreen.Hosting.Logging;

/// <summary>
/// The console log of every RetinaScreen process, laid out as .NET's simple console formatter lays it out (level and
/// category, then the message indented on the next line), without colours. Whatever a value from outside puts into a
/// message, a scope or an exception's message is escaped (<see cref="LogText"/>), so one entry is always one message
/// line and no log line carries a terminal escape sequence, whichever code logged it.
/// </summary>
public sealed class EscapingConsoleFormatter : ConsoleFormatter, IDisposable
{
    public const string FormatterName = "retinascreen";

    private const string Indent = "      ";

    private readonly IDisposable? _reload;
    private ConsoleFormatterOptions _options;

    public EscapingConsoleFormatter(IOptionsMonitor<ConsoleFormatterOptions> options)
        : base(FormatterName)
    {
        ArgumentNullException.ThrowIfNull(options);
        // Bound from Logging:Console:FormatterOptions, as the built-in formatters' options are.
        _options = options.CurrentValue;
        _reload = options.OnChange(changed => _options = changed);
    }

    public void Dispose() => _reload?.Dispose();

    public override void Write<TState>(in LogEntry<TState> logEntry, IExternalScopeProvider? scopeProvider, TextWriter textWriter)
    {
        ArgumentNullException.ThrowIfNull(textWriter);
        var message = logEntry.Formatter?.Invoke(logEntry.State, logEntry.Exception);
        if (message is null && logEntry.Exception is null)
        {
            return;
        }

        var options = _options;
        if (options.TimestampFormat is { } format)
        {
            var now = options.UseUtcTimestamp ? DateTimeOffset.UtcNow : DateTimeOffset.Now;
            textWriter.Write(now.ToString(format, System.Globalization.CultureInfo.InvariantCulture));
        }

        textWriter.Write(Level(logEntry.LogLevel));
        textWriter.Write(": ");
        textWriter.Write(LogText.Escape(logEntry.Category));
        textWriter.Write('[');
        textWriter.Write(logEntry.EventId.Id);
        textWriter.WriteLine(']');

        if (options.IncludeScopes && scopeProvider is not null)
        {
            var any = false;
            scopeProvider.ForEachScope((scope, writer) =>
            {
                writer.Write(any ? " => " : Indent + "=> ");
                writer.Write(LogText.Escape(scope?.ToString()));
                any = true;
            }, textWriter);
            if (any)
            {
                textWriter.WriteLine();
            }
        }

        if (!string.IsNullOrEmpty(message))
        {
            textWriter.Write(Indent);
            textWriter.WriteLine(LogText.Escape(message));
        }

        if (logEntry.Exception is { } exception)
        {
            foreach (var line in LogText.Escape(exception).Split('\n'))
            {
                textWriter.Write(Indent);
                textWriter.WriteLine(line);
            }
        }
    }

    private static string Level(LogLevel level) => level switch
    {
        LogLevel.Trace => "trce",
        LogLevel.Debug => "dbug",
        LogLevel.Information => "info",
        LogLevel.Warning => "warn",
        LogLevel.Error => "fail",
        LogLevel.Critical => "crit",
        _ => level.ToString(),
    };
}
