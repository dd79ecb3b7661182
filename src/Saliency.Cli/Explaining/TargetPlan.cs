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
    private readonly IReadOnlyDictionary<string, IReadOnlyList<string>>? _perImage;
    private readonly string? _perImageSource;
    private readonly int _topK;
    private readonly ClassLabels _labels;

    private TargetPlan(ClassLabels labels, IReadOnlyList<string>? @explicit, IReadOnlyDictionary<string, IReadOnlyList<string>>? perImage, string? perImageSource, int topK)
    {
        _labels = labels;
        _explicit = @explicit;
        _perImage = perImage;
        _perImageSource = perImageSource;
        _topK = topK;
    }

    /// <summary>Builds the plan; explicit targets are checked against the labels now.</summary>
    /// <exception cref="ArgumentException">Options conflict, a label is unknown, an index is out of range, or the CSV is malformed.</exception>
    public static TargetPlan Create(IReadOnlyList<string> targets, string? targetsFrom, int? topK, ClassLabels labels)
    {
        var given = (targets.Count > 0 ? 1 : 0) + (targetsFrom is null ? 0 : 1) + (topK is null ? 0 : 1);
        if (given > 1)
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

    /// <summary>Checks explicit targets against the model's class count, known once a forward pass has run.</summary>
    /// <exception cref="ArgumentException">A target is out of range: the whole run is wrong, not one image.</exception>
    public void CheckClassCount(int classes)
    {
        foreach (var target in _explicit ?? [])
        {
            _ = _labels.Resolve(target, classes);
        }
    }

    /// <summary>The classes to explain for <paramref name="imagePath"/>, given its logits.</summary>
    /// <exception cref="ArgumentException">The image has no row in the CSV, or its row names an unknown or out-of-range class.</exception>
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
                throw new ArgumentException($"{_perImageSource} has no row for {Path.GetFileName(imagePath)}.");
            }

            return [.. row.Select(t => _labels.Resolve(t, logits.Length)).Distinct()];
        }

        var k = Math.Min(_topK, logits.Length);
        return [.. Enumerable.Range(0, logits.Length).OrderByDescending(i => logits[i]).ThenBy(i => i).Take(k).Select(i => (long)i)];
    }

    /// <summary>Reads <c>image,target[,target…]</c> rows; a first row starting with <c>image</c> is a header; <c>#</c> starts a comment.</summary>
    private static class TargetsFile
    {
        public static IReadOnlyDictionary<string, IReadOnlyList<string>> Read(string path)
        {
            if (!File.Exists(path))
            {
                throw new ArgumentException($"Targets file {path} does not exist.");
            }

            var rows = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
            var number = 0;
            foreach (var line in File.ReadLines(path))
            {
                number++;
                var text = line.Trim();
                if (text.Length == 0 || text.StartsWith('#') || (rows.Count == 0 && text.StartsWith("image", StringComparison.OrdinalIgnoreCase) && text.Contains(',')))
                {
                    continue;
                }

                var cells = text.Split(',', StringSplitOptions.TrimEntries);
                if (cells.Length < 2 || cells.Skip(1).Any(c => c.Length == 0))
                {
                    throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"{path}:{number}: expected image,target[,target…]; got '{text}'."));
                }

                rows[cells[0]] = cells[1..];
            }

            return rows;
        }
    }
}
