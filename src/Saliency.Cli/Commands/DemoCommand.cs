using System.ComponentModel;
using System.Globalization;
using Saliency.Cli.Infrastructure;
using Saliency.Cli.Modeling;
using Saliency.Imaging;
using Saliency.Models;
using SkiaSharp;
using Spectre.Console;
using Spectre.Console.Cli;
using static TorchSharp.torch;

namespace Saliency.Cli.Commands;

/// <summary>
/// <c>saliency demo</c>: the Grad-CAM paper's figure for one canvas — per top-2 class one row of original, CAM,
/// Grad-CAM, Guided Backprop and Guided Grad-CAM — written as one labelled PNG.
/// </summary>
internal sealed class DemoCommand(CliConsole console) : Command<DemoCommand.Settings>
{
    /// <summary>The figure's methods, in column order.</summary>
    public static readonly string[] Methods = ["cam", "grad-cam", "guided-backprop", "guided-grad-cam"];

    public sealed class Settings : ModelSettings
    {
        [CommandOption("-i|--image <FILE>")]
        [Description("The image to explain. Default: the first sample canvas bundled with fashion-gap.")]
        public string? Image { get; set; }

        [CommandOption("-o|--out <FILE>")]
        [Description("The figure to write.")]
        [DefaultValue("out/demo/demo.png")]
        public string Out { get; set; } = "out/demo/demo.png";

        [CommandOption("--rows <N>")]
        [Description("How many of the highest-scoring classes get a row.")]
        [DefaultValue(2)]
        public int Rows { get; set; }

        [CommandOption("--scale <N>")]
        [Description("How much each 96×96 cell is enlarged.")]
        [DefaultValue(3)]
        public int Scale { get; set; }

        [CommandOption("--colormap <NAME>")]
        [Description("jet or viridis.")]
        [DefaultValue("jet")]
        public string Colormap { get; set; } = "jet";

        [CommandOption("--alpha <A>")]
        [Description("Heat-map weight over the image, 0 to 1.")]
        [DefaultValue(0.5f)]
        public float Alpha { get; set; }

        public override ValidationResult Validate() =>
            Rows is < 1 or > 10 ? ValidationResult.Error("--rows must be 1 to 10.")
            : Scale is < 1 or > 16 ? ValidationResult.Error("--scale must be 1 to 16.")
            : Alpha is < 0 or > 1 ? ValidationResult.Error("--alpha must lie in [0,1].")
            : base.Validate();
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var colormap = Colormap.Parse(settings.Colormap);
        using var host = HostFactory.Create(settings.Device);
        var methods = MethodSelection.Resolve(host, Methods);
        using var model = ModelLoader.Load(settings, host.Device);
        var (name, image) = LoadImage(settings);
        using (image)
        {
            using var figure = DemoFigure.Render(host, model, image, name, methods, settings.Rows, settings.Scale, colormap, settings.Alpha, out var rows);
            ImageFile.SavePng(figure, settings.Out);
            console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Wrote {settings.Out} ({figure.Width}×{figure.Height}): {name}, rows {string.Join(", ", rows)}; columns original, {string.Join(", ", methods)}."));
        }

        return ExitCodes.Success;
    }

    private static (string Name, SKBitmap Image) LoadImage(Settings settings)
    {
        if (settings.Image is not null)
        {
            return (Path.GetFileName(settings.Image), ImageFile.Load(settings.Image));
        }

        if (BuiltInModels.Find(settings.Model) != BuiltInModels.FashionGap)
        {
            throw new ArgumentException($"Model '{settings.Model}' has no bundled sample: pass --image FILE.");
        }

        var sample = DemoSamples.All[0];
        return (sample.Name, ImageFile.Decode(sample.Png, sample.Name));
    }
}

/// <summary>Draws the demo figure.</summary>
internal static class DemoFigure
{
    /// <summary>One row per top class: the model's view of the image, then each method's picture for that class.</summary>
    public static SKBitmap Render(SaliencyHost host, LoadedModel model, SKBitmap image, string name, IReadOnlyList<string> methods, int rowCount, int scale, Colormap colormap, float alpha, out IReadOnlyList<string> rows)
    {
        using var scope = NewDisposeScope();
        var input = ImageTensors.ToBatch([image], model.Input);
        float[] logits;
        using (var capture = SaliencyEngine.Capture(model.Explainable, input, gradients: false))
        {
            logits = capture.Logits[0].cpu().data<float>().ToArray();
        }

        var targets = Enumerable.Range(0, logits.Length).OrderByDescending(i => logits[i]).Take(rowCount).Select(i => (long)i).ToList();
        var titles = methods.Select(id => host.Methods.First(m => m.Id == id).DisplayName).Prepend("Original").ToList();
        var sheet = new ContactSheet(titles, model.Input.Width * scale, model.Input.Height * scale, nearest: true);
        using var original = ImageTensors.ToBitmap(input[0], model.Input);
        var cells = new List<SKBitmap>();
        try
        {
            foreach (var target in targets)
            {
                var requests = methods.Select(m => new ExplainRequest(m) { Targets = [target] }).ToList();
                var results = host.Explain(model.Explainable, input, requests);
                var row = new List<SKBitmap> { original };
                foreach (var result in results)
                {
                    using (result)
                    {
                        row.Add(Picture(result, original, colormap, alpha));
                    }
                }

                cells.AddRange(row.Skip(1));
                sheet.AddRow(string.Create(CultureInfo.InvariantCulture, $"{model.Labels.Name(target)}\nlogit {logits[target]:F2}"), row);
            }

            rows = [.. targets.Select(t => model.Labels.Name(t))];
            return sheet.Render($"{model.Name} · {name} · layer {model.Explainable.DefaultLayer}");
        }
        finally
        {
            foreach (var cell in cells)
            {
                cell.Dispose();
            }
        }
    }

    private static SKBitmap Picture(SaliencyResult result, SKBitmap original, Colormap colormap, float alpha)
    {
        using var scope = NewDisposeScope();
        if (result.Raw.dim() == 4)
        {
            var raw = result.Raw[0].cpu().contiguous();
            return GradientImage.Render(raw.data<float>().ToArray(), (int)raw.shape[0], (int)raw.shape[1], (int)raw.shape[2]);
        }

        var map = result.Map[0].cpu().contiguous();
        return Overlay.Blend(original, new MapImage((int)map.shape[1], (int)map.shape[0], map.data<float>().ToArray()), colormap, alpha);
    }
}
