using System.Globalization;
using System.Text.RegularExpressions;
using Saliency.Cli.Explaining;

namespace Saliency.Cli.Datasets;

/// <summary>
/// The last line of a run: how many images were explained, which failed grouped by reason, how many were skipped as
/// already complete, and the time taken — e.g. <c>Explained 5 of 7 image(s) with grad-cam at layer features: 5 file(s)
/// in out; 1 failed: a.png (file not found); 1 skipped (already complete); 2.1 s.</c>
/// </summary>
internal static partial class RunSummary
{
    public static string Format(IReadOnlyList<ImageOutcome> outcomes, int total, IReadOnlyList<string> methods, string layer, string output, TimeSpan elapsed, Shard shard)
    {
        var explained = outcomes.Count(o => o.Status == ImageStatus.Explained);
        var skipped = outcomes.Count(o => o.Status == ImageStatus.Skipped);
        var failed = outcomes.Where(o => o.Status == ImageStatus.Failed).ToList();
        var files = outcomes.Where(o => o.Status == ImageStatus.Explained).Sum(o => o.Outputs.Count);
        var of = shard.Count == 1 ? string.Empty : $" ({shard})";
        var text = string.Create(CultureInfo.InvariantCulture, $"Explained {explained} of {total} image(s){of} with {string.Join(", ", methods)} at layer {layer}: {files} file(s) in {output}");
        if (failed.Count > 0)
        {
            var groups = failed.GroupBy(f => Reason(f)).Select(g => $"{string.Join(", ", g.Select(f => f.Path))} ({g.Key})");
            text += string.Create(CultureInfo.InvariantCulture, $"; {failed.Count} failed: {string.Join("; ", groups)}");
        }

        if (skipped > 0)
        {
            text += string.Create(CultureInfo.InvariantCulture, $"; {skipped} skipped (already complete)");
        }

        var notDone = total - outcomes.Count;
        if (notDone > 0)
        {
            text += string.Create(CultureInfo.InvariantCulture, $"; {notDone} not done (cancelled; --resume finishes them)");
        }

        return text + string.Create(CultureInfo.InvariantCulture, $"; {elapsed.TotalSeconds:0.0} s.");
    }

    /// <summary>The kind of failure, for grouping: the message less the image's path, up to its first detail.</summary>
    internal static string Reason(ImageOutcome failure)
    {
        var message = failure.Error ?? "failed";
        if (message.StartsWith(failure.Path + ": ", StringComparison.Ordinal))
        {
            message = message[(failure.Path.Length + 2)..];
        }

        message = CannotWrite().Replace(message, "cannot write: ");
        var cut = message.IndexOfAny([';', '(']);
        var sentence = message.IndexOf(". ", StringComparison.Ordinal);
        if (sentence >= 0 && (cut < 0 || sentence < cut))
        {
            cut = sentence;
        }

        return (cut > 0 ? message[..cut] : message).Trim().TrimEnd('.');
    }

    [GeneratedRegex(@"^cannot write \S+: ")]
    private static partial Regex CannotWrite();
}
