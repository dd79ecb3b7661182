using Saliency.Cli.Modeling;
using Saliency.Imaging;
using SkiaSharp;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace Saliency.Cli.Explaining;

/// <summary>
/// Writes an image's explanations: per method and target one PNG at the image's own size, named
/// <c>&lt;stem&gt;.&lt;method&gt;.&lt;target&gt;.png</c> (a heat-map overlay for layer maps, the rendered gradient for
/// input-space attributions), and with <c>--save-maps</c> one <c>&lt;stem&gt;.maps.safetensors</c>.
/// </summary>
internal sealed class OutputWriter(LoadedModel model, ExplainOptions options)
{
    public ImageOutcome Write(string path, SKBitmap image, IReadOnlyList<Explanation> explanations, float[] logits)
    {
        Directory.CreateDirectory(options.OutputDirectory);
        var stem = Path.GetFileNameWithoutExtension(path);
        var files = new List<string>();
        foreach (var explanation in explanations)
        {
            var file = Path.Combine(options.OutputDirectory, $"{stem}.{explanation.Method}.{model.Labels.Slug(explanation.Target)}.png");
            using var picture = Render(image, explanation);
            ImageFile.SavePng(picture, file);
            files.Add(file);
        }

        if (options.SaveMaps)
        {
            files.Add(SaveMaps(stem, explanations, logits));
        }

        return new ImageOutcome(path, files, null);
    }

    /// <summary>The picture of one explanation, at the image's size.</summary>
    public SKBitmap Render(SKBitmap image, Explanation explanation)
    {
        var result = explanation.Result;
        if (result.Raw.dim() == 4)
        {
            using var scope = NewDisposeScope();
            var raw = result.Raw[explanation.Item].cpu().contiguous();
            var (channels, height, width) = ((int)raw.shape[0], (int)raw.shape[1], (int)raw.shape[2]);
            using var gradient = GradientImage.Render(raw.data<float>().ToArray(), channels, height, width);
            return Bitmaps.Resize(gradient, image.Width, image.Height);
        }

        return Overlay.Blend(image, Map(result, explanation.Item), options.Colormap, options.Alpha);
    }

    /// <summary>Row <paramref name="item"/> of the result's map.</summary>
    public static MapImage Map(SaliencyResult result, int item)
    {
        using var scope = NewDisposeScope();
        var map = result.Map[item].cpu().to(ScalarType.Float32).contiguous();
        return new MapImage((int)map.shape[1], (int)map.shape[0], map.data<float>().ToArray());
    }

    private string SaveMaps(string stem, IReadOnlyList<Explanation> explanations, float[] logits)
    {
        var file = Path.Combine(options.OutputDirectory, $"{stem}.maps.safetensors");
        using var scope = NewDisposeScope();
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var explanation in explanations)
        {
            var key = $"{explanation.Method}/{model.Labels.Slug(explanation.Target)}";
            tensors[$"{key}/map"] = explanation.Result.Map[explanation.Item].cpu().to(ScalarType.Float32).contiguous();
            tensors[$"{key}/raw"] = explanation.Result.Raw[explanation.Item].cpu().to(ScalarType.Float32).contiguous();
        }

        tensors["logits"] = tensor(logits);
        Safetensors.SaveStateDict(file, tensors);
        return file;
    }
}
