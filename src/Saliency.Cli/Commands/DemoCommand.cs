using System.ComponentModel;
using System.Globalization;
using Saliency.Cli.Explaining;
using Saliency.Cli.Infrastructure;
using Saliency.Cli.Modeling;
using Saliency.Imaging;
using Saliency.Models;
using SkiaSharp;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Saliency.Cli.Commands;

/// <summary>
/// <c>saliency demo</c>: the Grad-CAM paper's figure for one canvas — per top-2 class one row of original, CAM,
/// Grad-CAM, Guided Backprop and Guided Grad-CAM — written as one labelled PNG.
/// </summary>
internal sealed class DemoCommand(CliConsole console) : Command<DemoCommand.Settings>
{
    /// <summary>The figure's methods, in column order.</summary>
    public static readonly string[] Methods = ["cam", "grad-cam", "guided-backprop", "guided-grad-cam"];

    public sealed class Settings : OverlaySettings
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

        public override ValidationResult Validate() =>
            Rows is < 1 or > 10 ? ValidationResult.Error("--rows must be 1 to 10.")
            : Scale is < 1 or > 16 ? ValidationResult.Error("--scale must be 1 to 16.")
            : base.Validate();
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var colormap = Colormap.Parse(settings.Colormap);
        if (Directory.Exists(settings.Out))
        {
            throw new ArgumentException($"-o {settings.Out} is a folder; give the figure's file name, e.g. {Path.Combine(settings.Out, "demo.png")}.");
        }

        OutputFolder.Create("-o", settings.Out, Path.GetDirectoryName(Path.GetFullPath(settings.Out))!);
        using var host = HostFactory.Create(settings.Device, settings.KernelCheck, console);
        var methods = MethodSelection.Resolve(host, Methods);
        using var model = ModelLoader.Load(settings, host.Device);
        var (name, image) = LoadImage(settings);
        using (image)
        {
            var (figure, rows) = new DemoFigure(host, model, methods).Render(image, name, settings.Rows, settings.Scale, colormap, settings.Alpha);
            using (figure)
            {
                using var data = figure.Encode(SKEncodedImageFormat.Png, 100)
                    ?? throw new IOException($"Could not encode the {figure.Width}×{figure.Height} figure as PNG.");
                AtomicFile.Commit(AtomicFile.Stage(settings.Out, data.AsSpan()), settings.Out);
                console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Wrote {settings.Out} ({figure.Width}×{figure.Height}): {name}, rows {string.Join(", ", rows)}; columns original, {string.Join(", ", methods)}."));
            }
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
