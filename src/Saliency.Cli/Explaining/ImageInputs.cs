using Saliency.Imaging;

namespace Saliency.Cli.Explaining;

/// <summary>One image to explain and where its outputs go.</summary>
/// <param name="Path">The image file.</param>
/// <param name="OutputStem">
/// Its outputs' name without the <c>.&lt;method&gt;.&lt;target&gt;.png</c> suffix, relative to <c>--out</c>: the file
/// name without extension, under the image's folder relative to the folder given with <c>--recursive</c>
/// (<c>a/cat</c>, <c>b/cat</c>). Always written with <c>/</c>.
/// </param>
internal sealed record ImageInput(string Path, string OutputStem);

/// <summary>
/// The images to explain: files as given, folders expanded to their PNG and JPEG files (sorted; with
/// <c>--recursive</c> their subfolders too, whose structure the outputs mirror; symlinked folders are not followed).
/// </summary>
internal static class ImageInputs
{
    /// <summary>Expands <paramref name="arguments"/>. A path that does not exist is kept, to be reported as that image's failure.</summary>
    /// <exception cref="ArgumentException">Nothing was given, or the folders hold no image.</exception>
    public static IReadOnlyList<ImageInput> Collect(IReadOnlyList<string> arguments, bool recursive = false)
    {
        if (arguments.Count == 0)
        {
            throw new ArgumentException("No images given: pass image files or folders, e.g. saliency explain photos/.");
        }

        var inputs = new List<ImageInput>();
        foreach (var argument in arguments)
        {
            if (Directory.Exists(argument))
            {
                inputs.AddRange(Walk(argument, argument, recursive));
            }
            else
            {
                inputs.Add(new ImageInput(argument, System.IO.Path.GetFileNameWithoutExtension(argument)));
            }
        }

        return inputs.Count > 0
            ? inputs
            : throw new ArgumentException($"No PNG or JPEG files in {string.Join(", ", arguments)}{(recursive ? " or their subfolders" : " (add --recursive to look in subfolders)")}.");
    }

    private static IEnumerable<ImageInput> Walk(string root, string folder, bool recursive)
    {
        var relative = System.IO.Path.GetRelativePath(root, folder).Replace('\\', '/');
        var prefix = relative == "." ? string.Empty : relative + "/";
        foreach (var file in Directory.EnumerateFiles(folder)
            .Where(f => ImageFile.Extensions.Contains(System.IO.Path.GetExtension(f).ToLowerInvariant()))
            .Order(StringComparer.Ordinal))
        {
            yield return new ImageInput(file, prefix + System.IO.Path.GetFileNameWithoutExtension(file));
        }

        if (!recursive)
        {
            yield break;
        }

        var options = new EnumerationOptions { AttributesToSkip = FileAttributes.Hidden | FileAttributes.System | FileAttributes.ReparsePoint, IgnoreInaccessible = true };
        foreach (var sub in Directory.EnumerateDirectories(folder, "*", options).Order(StringComparer.Ordinal))
        {
            foreach (var input in Walk(root, sub, recursive))
            {
                yield return input;
            }
        }
    }

    /// <summary>
    /// The images whose outputs would overwrite an earlier image's (the same output stem, e.g. <c>a/cat.png</c> and
    /// <c>b/cat.jpg</c> given as files), by position: each such later image fails alone, the first one is explained.
    /// </summary>
    public static IReadOnlyDictionary<int, ImageOutcome> Clashes(IReadOnlyList<ImageInput> inputs)
    {
        var owners = new Dictionary<string, string>(StringComparer.Ordinal);
        var clashes = new Dictionary<int, ImageOutcome>();
        for (var i = 0; i < inputs.Count; i++)
        {
            var input = inputs[i];
            if (owners.TryGetValue(input.OutputStem, out var owner))
            {
                clashes[i] = ImageOutcome.Failed(input.Path, $"{input.Path}: its outputs ({input.OutputStem}.*) would overwrite those of {owner}; rename it, explain its folder with --recursive, or explain it in a separate run");
            }
            else
            {
                owners[input.OutputStem] = input.Path;
            }
        }

        return clashes;
    }
}
