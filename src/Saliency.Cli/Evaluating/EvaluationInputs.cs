using System.Globalization;
using Saliency.Cli.Modeling;
using Saliency.Evaluation;
using Saliency.Imaging;
using Saliency.Models.Training;

namespace Saliency.Cli.Evaluating;

/// <summary>What <c>saliency evaluate</c> measures on: image files with a boxes file, or canvases generated from Fashion-MNIST.</summary>
internal static class EvaluationInputs
{
    /// <summary>The seed of the default held-out canvas set; training uses seed 1 on the training split.</summary>
    public const int DefaultCanvasSeed = 2026;

    /// <summary>
    /// Loads image files, resized to the model's input as <c>explain</c> does, with their boxes scaled alike. An image
    /// that cannot be read, or has no boxes while a boxes file is given, is reported on <paramref name="fail"/> and left
    /// out; the rest is used.
    /// </summary>
    public static List<EvaluationSample> FromFiles(IReadOnlyList<string> paths, BoxesFile? boxes, LoadedModel model, Action<string> fail)
    {
        var samples = new List<EvaluationSample>();
        foreach (var path in paths)
        {
            var name = Path.GetFileName(path);
            var own = boxes?.For(name) ?? [];
            if (boxes is not null && own.Count == 0)
            {
                fail($"{path}: the boxes file has no row for '{name}'; the image is skipped (add rows 'image,class,x0,y0,x1,y1' for it).");
                continue;
            }

            try
            {
                using var bitmap = ImageFile.Load(path);
                var (sx, sy) = ((double)model.Input.Width / bitmap.Width, (double)model.Input.Height / bitmap.Height);
                var scaled = own.Select(b => b with { Box = Scale(b.Box, sx, sy) }).ToList();
                samples.Add(new EvaluationSample(name, Input(ImageTensors.ToChw(bitmap, model.Input), model.Input), scaled));
            }
            catch (ImageException e)
            {
                fail(e.Message);
            }
        }

        return samples;
    }

    /// <summary>
    /// <paramref name="count"/> two-item canvases from Fashion-MNIST's test split (seeded), each item's 28×28 box its
    /// ground truth; with <paramref name="saveTo"/> also their PNGs and <c>boxes.csv</c> there.
    /// </summary>
    public static List<EvaluationSample> Canvases(int count, int seed, string dataDirectory, LoadedModel model, string? saveTo)
    {
        if (model.Input.Channels != 1 || model.Input.Height != CanvasGenerator.Side || model.Input.Width != CanvasGenerator.Side)
        {
            throw new ArgumentException($"--canvases makes 1×{CanvasGenerator.Side}×{CanvasGenerator.Side} Fashion-MNIST canvases, but model '{model.Name}' takes {model.Input}; pass image files and --boxes instead.");
        }

        var generator = new CanvasGenerator(FashionMnist.LoadTest(dataDirectory), seed, mirror: false);
        var rows = new List<string> { BoxesFile.Header };
        var samples = new List<EvaluationSample>();
        if (saveTo is not null)
        {
            Directory.CreateDirectory(saveTo);
        }

        for (var i = 1; i <= count; i++)
        {
            var canvas = generator.Next();
            var name = $"canvas-{i:D4}.png";
            var boxes = canvas.Items
                .Select(item => new GroundTruthBox(name, item.Label, new BoundingBox(item.Left, item.Top, item.Left + CanvasItem.Size, item.Top + CanvasItem.Size)))
                .ToList();
            rows.AddRange(boxes.Select(b => string.Create(CultureInfo.InvariantCulture, $"{name},{b.Class},{b.Box.X0},{b.Box.Y0},{b.Box.X1},{b.Box.Y1}")));
            samples.Add(new EvaluationSample(name, Input(Normalise(canvas.Pixels, model.Input), model.Input), boxes));
            if (saveTo is not null)
            {
                using var bitmap = Bitmaps.FromGray(canvas.Side, canvas.Side, canvas.Pixels);
                ImageFile.SavePng(bitmap, Path.Combine(saveTo, name));
            }
        }

        if (saveTo is not null)
        {
            File.WriteAllLines(Path.Combine(saveTo, "boxes.csv"), rows);
        }

        return samples;
    }

    /// <summary>The model's class labels by index (indices when it has no names), for boxes files that name classes.</summary>
    public static IReadOnlyList<string> Labels(LoadedModel model) =>
        model.Explainable.ClassifierHead is { } head
            ? [.. Enumerable.Range(0, (int)head.out_features).Select(i => model.Labels.Name(i))]
            : [];

    private static InputImage Input(float[] chw, InputSpec spec) =>
        new(chw, spec.Channels, spec.Height, spec.Width, [.. Enumerable.Range(0, spec.Channels).Select(c => -spec.Mean[c] / spec.Std[c])]);

    private static float[] Normalise(float[] pixels, InputSpec spec)
    {
        var values = new float[pixels.Length];
        for (var i = 0; i < pixels.Length; i++)
        {
            values[i] = (pixels[i] - spec.Mean[0]) / spec.Std[0];
        }

        return values;
    }

    private static BoundingBox Scale(BoundingBox box, double sx, double sy) => new(
        (int)Math.Floor(box.X0 * sx), (int)Math.Floor(box.Y0 * sy), (int)Math.Ceiling(box.X1 * sx), (int)Math.Ceiling(box.Y1 * sy));
}
