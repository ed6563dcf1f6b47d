using System.Globalization;
using System.Text;

namespace RetinaScreen.Hosting.Logging;

/// <summary>
/// Makes text from outside (a UID, an AE title, a file name, an exception's message quoting one) safe to write to a
/// log line: a line feed would start a forged log line, and an escape sequence would drive the terminal of whoever
/// reads the log. Each such character is written as a visible escape (<c>\n</c>, <c>\x1b</c>, <c>\u2028</c>).
/// </summary>
public static class LogText
{
    /// <summary>
    /// C0 controls, DEL and C1 controls (NEL among them), the Unicode line and paragraph separators, and the
    /// bidirectional overrides and isolates, which reorder what a reader sees.
    /// </summary>
    public static bool MustEscape(char c) =>
        c < 0x20 || c is >= '\u007F' and <= '\u009F' || c is '\u2028' or '\u2029' || c is >= '\u202A' and <= '\u202E' || c is >= '\u2066' and <= '\u2069';

    public static string Escape(string? text) => Escape(text, keepLineFeeds: false);

    /// <param name="text">The text to write.</param>
    /// <param name="keepLineFeeds">True for text whose lines are the code's own (a stack trace); carriage returns still go.</param>
    public static string Escape(string? text, bool keepLineFeeds)
    {
        if (string.IsNullOrEmpty(text))
        {
            return text ?? string.Empty;
        }

        var first = 0;
        while (first < text.Length && !Escapes(text[first], keepLineFeeds))
        {
            first++;
        }

        if (first == text.Length)
        {
            return text;
        }

        var escaped = new StringBuilder(text.Length + 16).Append(text, 0, first);
        for (var i = first; i < text.Length; i++)
        {
            var c = text[i];
            if (!Escapes(c, keepLineFeeds))
            {
                escaped.Append(c);
                continue;
            }

            switch (c)
            {
                case '\n':
                    escaped.Append("\\n");
                    break;
                case '\r':
                    escaped.Append("\\r");
                    break;
                case '\t':
                    escaped.Append("\\t");
                    break;
                case < '\u0100':
                    escaped.Append("\\x").Append(((int)c).ToString("x2", CultureInfo.InvariantCulture));
                    break;
                default:
                    escaped.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    break;
            }
        }

        return escaped.ToString();
    }

    /// <summary>
    /// An exception as <see cref="Exception.ToString"/> writes it, each message in the chain escaped whole (a line feed
    /// in a message is the sender's, not a new line); the stack trace keeps its own lines, any other control character
    /// anywhere is escaped.
    /// </summary>
    public static string Escape(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        var text = exception.ToString();
        foreach (var message in Messages(exception).Distinct(StringComparer.Ordinal).OrderByDescending(m => m.Length))
        {
            var escaped = Escape(message);
            if (!ReferenceEquals(escaped, message))
            {
                text = text.Replace(message, escaped, StringComparison.Ordinal);
            }
        }

        return Escape(text, keepLineFeeds: true);
    }

    private static bool Escapes(char c, bool keepLineFeeds) => MustEscape(c) && !(keepLineFeeds && c == '\n');

    private static IEnumerable<string> Messages(Exception exception)
    {
        var pending = new Stack<Exception>();
        pending.Push(exception);
        var seen = 0;
        while (pending.Count > 0 && seen++ < 64)
        {
            var current = pending.Pop();
            yield return current.Message;
            if (current is AggregateException aggregate)
            {
                foreach (var inner in aggregate.InnerExceptions)
                {
                    pending.Push(inner);
                }
            }
            else if (current.InnerException is { } inner)
            {
                pending.Push(inner);
            }
        }
    }
}
