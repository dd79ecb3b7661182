using System.Globalization;
using Saliency.Models;

namespace Saliency.Cli.Explaining;

/// <summary>
/// Which classes to explain for each image: the same explicit targets for all (<c>--target</c>), per-image targets from a
/// CSV (<c>--targets-from</c>), the N highest-scoring classes (<c>--top-k</c>), or the predicted class (default).
/// </summary>
internal sealed class TargetPlan
{
    private readonly IReadOnlyList<string>? _explicit;
    private readonly IReadOnlyDictionary<string, TargetRow>? _perImage;
    private readonly string? _perImageSource;
    private readonly int _topK;
    private readonly ClassLabels _labels;

    private TargetPlan(ClassLabels labels, IReadOnlyList<string>? @explicit, IReadOnlyDictionary<string, TargetRow>? perImage, string? perImageSource, int topK)
    {
        _labels = labels;
        _explicit = @explicit;
        _perImage = perImage;
        _perImageSource = perImageSource;
        _topK = topK;
    }

    /// <summary>Builds the plan; explicit targets are checked against the labels now.</summary>
    /// <param name="targets">The <c>--target</c> values, split at commas.</param>
    /// <param name="given">Whether <c>--target</c> was given at all (an empty value is refused, not ignored).</param>
    /// <param name="targetsFrom">The <c>--targets-from</c> CSV.</param>
    /// <param name="topK">The <c>--top-k</c> value.</param>
    /// <param name="labels">The model's labels.</param>
    /// <exception cref="ArgumentException">Options conflict, a label is unknown, an index is out of range, or the CSV is malformed.</exception>
    public static TargetPlan Create(IReadOnlyList<string> targets, bool given, string? targetsFrom, int? topK, ClassLabels labels)
    {
        if (given && targets.Count == 0)
        {
            throw new ArgumentException("--target is empty: give a class index or label, e.g. --target 3 or --target sneaker.");
        }

        var options = (targets.Count > 0 ? 1 : 0) + (targetsFrom is null ? 0 : 1) + (topK is null ? 0 : 1);
        if (options > 1)
        {
            throw new ArgumentException("Give at most one of --target, --targets-from and --top-k.");
        }

        if (topK is < 1)
        {
            throw new ArgumentException($"--top-k must be at least 1; got {topK}.");
        }

        if (targets.Count > 0)
        {
            foreach (var target in targets)
            {
                _ = labels.Resolve(target, null);
            }

            return new TargetPlan(labels, targets, null, null, 0);
        }

        return targetsFrom is not null
            ? new TargetPlan(labels, null, TargetsFile.Read(targetsFrom), targetsFrom, 0)
            : new TargetPlan(labels, null, null, null, topK ?? 1);
    }

    /// <summary>
    /// Checks the plan against the model's class count, known once a forward pass has run: explicit targets, every
    /// row of the CSV, and <c>--top-k</c> (more than the classes would be cut without a word).
    /// </summary>
    /// <exception cref="ArgumentException">A target is out of range or unknown: the whole run is wrong, not one image.</exception>
    public void CheckClassCount(int classes)
    {
        foreach (var target in _explicit ?? [])
        {
            _ = _labels.Resolve(target, classes);
        }

        if (_explicit is null && _perImage is null && _topK > classes)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"--top-k {_topK} asks for more classes than the model has ({classes}); use --top-k {classes} or less."));
        }
    }

    /// <summary>The classes to explain for <paramref name="imagePath"/>, given its logits.</summary>
    /// <exception cref="ArgumentException">The image has no row in the CSV, or its row names an unknown or out-of-range class (the message names the CSV line).</exception>
    public IReadOnlyList<long> For(string imagePath, float[] logits)
    {
        if (_explicit is not null)
        {
            return [.. _explicit.Select(t => _labels.Resolve(t, logits.Length)).Distinct()];
        }

        if (_perImage is not null)
        {
            if (!_perImage.TryGetValue(Path.GetFileName(imagePath), out var row) && !_perImage.TryGetValue(imagePath, out row))
            {
                throw new ArgumentException($"{_perImageSource} has no row for {Path.GetFileName(imagePath)}; add a line {Path.GetFileName(imagePath)},TARGET.");
            }

            var classes = new List<long>();
            foreach (var target in row.Targets)
            {
                try
                {
                    classes.Add(_labels.Resolve(target, logits.Length));
                }
                catch (ArgumentException e)
                {
                    throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"{_perImageSource}:{row.Line}: {e.Message}"), e);
                }
            }

            return [.. classes.Distinct()];
        }

        var k = Math.Min(_topK, logits.Length);
        return [.. Enumerable.Range(0, logits.Length).OrderByDescending(i => logits[i]).ThenBy(i => i).Take(k).Select(i => (long)i)];
    }

    /// <summary>One row of the CSV: its targets and the line it is on.</summary>
    private sealed record TargetRow(IReadOnlyList<string> Targets, int Line);

    /// <summary>
    /// Reads <c>image,target[,target…]</c> rows (RFC 4180 quoting: <c>"a, b.png","Ankle boot"</c>); a first row starting
    /// with <c>image</c> is a header; <c>#</c> starts a comment.
    /// </summary>
    private static class TargetsFile
    {
        public static IReadOnlyDictionary<string, TargetRow> Read(string path)
        {
            if (Directory.Exists(path))
            {
                throw new ArgumentException($"--targets-from {path} is a folder; give a CSV file of image,target rows.");
            }

            if (!File.Exists(path))
            {
                throw new ArgumentException($"--targets-from {path} does not exist.");
            }

            var rows = new Dictionary<string, TargetRow>(StringComparer.Ordinal);
            var number = 0;
            foreach (var line in File.ReadLines(path))
            {
                number++;
                var text = line.Trim();
                if (text.Length == 0 || text.StartsWith('#') || (rows.Count == 0 && text.StartsWith("image", StringComparison.OrdinalIgnoreCase) && text.Contains(',')))
                {
                    continue;
                }

                var cells = Split(text, path, number);
                if (cells.Count < 2 || cells.Skip(1).Any(c => c.Length == 0) || cells[0].Length == 0)
                {
                    throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"{path}:{number}: expected image,target[,target…]; got '{text}'."));
                }

                if (rows.TryGetValue(cells[0], out var earlier))
                {
                    throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"{path}:{number}: {cells[0]} already has a row (line {earlier.Line}); put all its targets on one row."));
                }

                rows[cells[0]] = new TargetRow(cells[1..], number);
            }

            return rows.Count > 0 ? rows : throw new ArgumentException($"--targets-from {path} has no rows; expected image,target[,target…].");
        }

        private static List<string> Split(string text, string path, int number) =>
            CsvFields.Split(text) ?? throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"{path}:{number}: a quoted field is not closed; got '{text}'."));
    }
}
