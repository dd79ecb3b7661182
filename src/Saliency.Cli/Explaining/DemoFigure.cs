using System.Globalization;
using Saliency.Cli.Modeling;
using Saliency.Imaging;
using SkiaSharp;
using static TorchSharp.torch;

namespace Saliency.Cli.Explaining;

/// <summary>
/// The Grad-CAM paper's figure for one image: one row per top-scoring class, holding the model's view of the image
/// and each method's picture for that class, labelled with the class and its logit.
/// </summary>
internal sealed class DemoFigure(SaliencyHost host, LoadedModel model, IReadOnlyList<string> methods)
{
    public (SKBitmap Figure, IReadOnlyList<string> Rows) Render(SKBitmap image, string name, int rowCount, int scale, Colormap colormap, float alpha)
    {
        using var scope = NewDisposeScope();
        var input = ImageTensors.ToBatch([image], model.Input);
        var logits = Logits(input);
        var targets = Enumerable.Range(0, logits.Length).OrderByDescending(i => logits[i]).Take(rowCount).Select(i => (long)i).ToList();
        var titles = methods.Select(id => host.Methods.First(m => m.Id == id).DisplayName).Prepend("Original").ToList();
        var sheet = new ContactSheet(titles, model.Input.Width * scale, model.Input.Height * scale, nearest: true);
        using var original = ImageTensors.ToBitmap(input[0], model.Input);
        var pictures = new List<SKBitmap>();
        try
        {
            foreach (var target in targets)
            {
                var row = Pictures(input, target, original, colormap, alpha);
                pictures.AddRange(row);
                sheet.AddRow(string.Create(CultureInfo.InvariantCulture, $"{model.Labels.Name(target)}\nlogit {logits[target]:F2}"), [original, .. row]);
            }

            var figure = sheet.Render($"{model.Name} · {name} · layer {model.Explainable.DefaultLayer}");
            return (figure, [.. targets.Select(t => model.Labels.Name(t))]);
        }
        finally
        {
            foreach (var picture in pictures)
            {
                picture.Dispose();
            }
        }
    }

    private float[] Logits(Tensor input)
    {
        using var capture = SaliencyEngine.Capture(model.Explainable, input, gradients: false);
        return capture.Logits[0].cpu().data<float>().ToArray();
    }

    /// <summary>Every method's picture for <paramref name="target"/>, from one shared forward pass.</summary>
    private List<SKBitmap> Pictures(Tensor input, long target, SKBitmap original, Colormap colormap, float alpha)
    {
        var requests = methods.Select(m => new ExplainRequest(m) { Targets = [target] }).ToList();
        var pictures = new List<SKBitmap>();
        foreach (var result in host.Explain(model.Explainable, input, requests))
        {
            using (result)
            {
                pictures.Add(ExplanationPicture.Render(result, 0, original, colormap, alpha));
            }
        }

        return pictures;
    }
}
