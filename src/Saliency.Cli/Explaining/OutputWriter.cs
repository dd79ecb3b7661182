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
            using var picture = ExplanationPicture.Render(explanation.Result, explanation.Item, image, options.Colormap, options.Alpha);
            ImageFile.SavePng(picture, file);
            files.Add(file);
        }

        if (options.SaveMaps)
        {
            files.Add(SaveMaps(stem, explanations, logits));
        }

        return new ImageOutcome(path, files, null);
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
