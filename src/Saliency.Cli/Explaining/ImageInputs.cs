using Saliency.Imaging;

namespace Saliency.Cli.Explaining;

/// <summary>The image paths to explain: files as given, folders expanded to their PNG and JPEG files (sorted, not recursive).</summary>
internal static class ImageInputs
{
    /// <summary>Expands <paramref name="arguments"/>. A path that does not exist is kept, to be reported as that image's failure.</summary>
    /// <exception cref="ArgumentException">Nothing was given, or the folders hold no image.</exception>
    public static IReadOnlyList<string> Collect(IReadOnlyList<string> arguments)
    {
        if (arguments.Count == 0)
        {
            throw new ArgumentException("No images given: pass image files or folders, e.g. saliency explain photos/.");
        }

        var paths = new List<string>();
        foreach (var argument in arguments)
        {
            if (Directory.Exists(argument))
            {
                paths.AddRange(Directory.EnumerateFiles(argument)
                    .Where(f => ImageFile.Extensions.Contains(Path.GetExtension(f).ToLowerInvariant()))
                    .Order(StringComparer.Ordinal));
            }
            else
            {
                paths.Add(argument);
            }
        }

        return paths.Count > 0
            ? paths
            : throw new ArgumentException($"No PNG or JPEG files in {string.Join(", ", arguments)}.");
    }

    /// <summary>
    /// Separates the images whose outputs would overwrite an earlier image's (the same file name without extension,
    /// e.g. <c>a/cat.png</c> and <c>b/cat.jpg</c>): each such later image fails alone, the first one is explained.
    /// </summary>
    public static (IReadOnlyList<string> Unique, IReadOnlyList<ImageOutcome> Clashes) SeparateClashes(IReadOnlyList<string> paths)
    {
        var owners = new Dictionary<string, string>(StringComparer.Ordinal);
        var unique = new List<string>();
        var clashes = new List<ImageOutcome>();
        foreach (var path in paths)
        {
            var stem = Path.GetFileNameWithoutExtension(path);
            if (owners.TryGetValue(stem, out var owner))
            {
                clashes.Add(ImageOutcome.Failed(path, $"{path}: its outputs ({stem}.*) would overwrite those of {owner}; rename it or explain it in a separate run"));
            }
            else
            {
                owners[stem] = path;
                unique.Add(path);
            }
        }

        return (unique, clashes);
    }
}
