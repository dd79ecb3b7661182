using System.Security.Cryptography;
using System.Text;
using Saliency.Cli.Infrastructure;
using SkiaSharp;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace Saliency.Cli.Explaining;

/// <summary>
/// Writes an image's explanations: per method and target one PNG at the image's own size, named
/// <c>&lt;stem&gt;.&lt;method&gt;.&lt;target&gt;.png</c> (<c>&lt;target&gt;</c> a class label or <c>similar-to-&lt;reference&gt;</c>; a heat-map overlay for layer maps, the rendered gradient for
/// input-space attributions), and with <c>--save-maps</c> one <c>&lt;stem&gt;.maps.safetensors</c>. An image's files are
/// written all or none: each is staged under a temporary name, and only when all are staged are they renamed into place.
/// </summary>
internal sealed class OutputWriter(ExplainOptions options)
{
    /// <summary>The longest file name most file systems take, in bytes.</summary>
    private const int MaxNameBytes = 255;

    /// <summary>Writes the image's outputs; on failure nothing of the image is left and the outcome says why.</summary>
    public ImageOutcome Write(ImageInput input, SKBitmap image, IReadOnlyList<Explanation> explanations, Prediction prediction)
    {
        var staged = new List<(string Temporary, string Final, OutputFile Output)>();
        var committed = new List<string>();
        try
        {
            foreach (var explanation in explanations)
            {
                using var picture = ExplanationPicture.Render(explanation.Result, explanation.Item, image, options.Colormap, options.Alpha);
                using var data = picture.Encode(SKEncodedImageFormat.Png, 100)
                    ?? throw new IOException($"Could not encode a {picture.Width}×{picture.Height} image as PNG.");
                Stage(staged, input, $".{explanation.Method}.{explanation.Name}.png", data.AsSpan());
            }

            if (options.SaveMaps)
            {
                Stage(staged, input, ".maps.safetensors", MapsFile(explanations, prediction));
            }

            foreach (var (temporary, final, _) in staged)
            {
                AtomicFile.Commit(temporary, final);
                committed.Add(final);
            }

            return new ImageOutcome(input.Path, ImageStatus.Explained, [.. staged.Select(s => s.Output)], null);
        }
        catch (IOException e)
        {
            foreach (var (temporary, _, _) in staged)
            {
                AtomicFile.TryDelete(temporary);
            }

            foreach (var file in committed)
            {
                AtomicFile.TryDelete(file);
            }

            return ImageOutcome.Failed(input.Path, $"{input.Path}: {e.Message}");
        }
    }

    private void Stage(List<(string, string, OutputFile)> staged, ImageInput input, string suffix, ReadOnlySpan<byte> bytes)
    {
        var relative = FileName(input.OutputStem, suffix);
        var final = Path.Combine(options.OutputDirectory, relative);
        var folder = Path.GetDirectoryName(final)!;
        try
        {
            Directory.CreateDirectory(folder);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"cannot write {final}: {(File.Exists(folder) ? $"{folder} is a file, not a folder" : AtomicFile.WhyNot(folder, e))}", e);
        }

        staged.Add((AtomicFile.Stage(final, bytes), final, new OutputFile(relative, AtomicFile.Sha256(bytes))));
    }

    /// <summary>
    /// <c>stem + suffix</c>, relative to <c>--out</c>; a name longer than <see cref="MaxNameBytes"/> bytes (with room for
    /// the temporary suffix) keeps the start of the stem and adds <c>~</c> and 8 hex digits of its hash, so it stays unique.
    /// </summary>
    internal static string FileName(string stem, string suffix)
    {
        var slash = stem.LastIndexOf('/');
        var folder = slash < 0 ? string.Empty : stem[..(slash + 1)];
        var name = stem[(slash + 1)..];
        var budget = MaxNameBytes - 32 - Encoding.UTF8.GetByteCount(suffix);
        if (Encoding.UTF8.GetByteCount(name) > budget)
        {
            var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(name)))[..8];
            var keep = new StringBuilder();
            foreach (var rune in name.EnumerateRunes())
            {
                if (Encoding.UTF8.GetByteCount(keep.ToString()) + rune.Utf8SequenceLength > budget - 9)
                {
                    break;
                }

                keep.Append(rune.ToString());
            }

            name = $"{keep}~{hash}";
        }

        return folder + name + suffix;
    }

    private byte[] MapsFile(IReadOnlyList<Explanation> explanations, Prediction prediction)
    {
        using var scope = NewDisposeScope();
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var explanation in explanations)
        {
            var key = $"{explanation.Method}/{explanation.Name}";
            tensors[$"{key}/map"] = explanation.Result.Map[explanation.Item].cpu().to(ScalarType.Float32).contiguous();
            tensors[$"{key}/raw"] = explanation.Result.Raw[explanation.Item].cpu().to(ScalarType.Float32).contiguous();
        }

        foreach (var (key, values) in prediction.Saved)
        {
            tensors[key] = tensor(values);
        }

        using var stream = new MemoryStream();
        Safetensors.SaveStateDict(stream, tensors, leaveOpen: true);
        return stream.ToArray();
    }
}
