using System.ComponentModel;
using Saliency.Cli.Explaining;
using Saliency.Cli.Infrastructure;
using Saliency.Cli.Modeling;
using Saliency.Imaging;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Saliency.Cli.Commands;

/// <summary><c>saliency explain</c>: heat-map overlays for image files or folders, batched, one failed image at a time.</summary>
internal sealed class ExplainCommand(CliConsole console) : Command<ExplainCommand.Settings>
{
    public sealed class Settings : OverlaySettings
    {
        [CommandArgument(0, "<IMAGES>")]
        [Description("Image files (PNG, JPEG) or folders of them.")]
        public string[] Images { get; set; } = [];

        [CommandOption("-M|--method <METHOD>")]
        [Description("Method id(s), repeated or comma-separated (see 'saliency methods').")]
        [DefaultValue(new[] { "grad-cam" })]
        public string[] Methods { get; set; } = ["grad-cam"];

        [CommandOption("-O|--option <KEY=VALUE>")]
        [Description("A method option, repeated: it goes to every chosen method that takes it (see 'saliency methods'), e.g. eigen-smooth=true, aug-smooth=true, batch-size=64.")]
        public string[] Options { get; set; } = [];

        [CommandOption("-t|--target <CLASS>")]
        [Description("Class index or label to explain, repeated or comma-separated. Default: the predicted class.")]
        public string[] Targets { get; set; } = [];

        [CommandOption("--targets-from <CSV>")]
        [Description("Per-image targets: rows of image,target[[,target…]] (image = file name).")]
        public string? TargetsFrom { get; set; }

        [CommandOption("-k|--top-k <N>")]
        [Description("Explain the N highest-scoring classes of each image.")]
        public int? TopK { get; set; }

        [CommandOption("--score <SCORE>")]
        [Description("What is explained for each target class: logit (default; the class's own evidence) or probability (its softmax probability: evidence for the class against the others).")]
        [DefaultValue("logit")]
        public string Score { get; set; } = "logit";

        [CommandOption("-l|--layer <LAYER>")]
        [Description("The layer to explain (see 'saliency layers'). Default: the model's default layer.")]
        public string? Layer { get; set; }

        [CommandOption("-b|--batch-size <N>")]
        [Description("Images per forward pass.")]
        [DefaultValue(8)]
        public int BatchSize { get; set; }

        [CommandOption("-o|--out <DIR>")]
        [Description("Where the PNGs go: <image-stem>.<method>.<target>.png.")]
        [DefaultValue("out/explain")]
        public string Out { get; set; } = "out/explain";

        [CommandOption("--save-maps")]
        [Description("Also write <image-stem>.maps.safetensors: <method>/<target>/map [[H,W]], <method>/<target>/raw, and logits.")]
        public bool SaveMaps { get; set; }

        [CommandOption("--max-pixels <N>")]
        [Description("Refuse images with more pixels than this (read from the header, before decoding); sides are limited to 8192.")]
        [DefaultValue(40_000_000L)]
        public long MaxPixels { get; set; }

        public override ValidationResult Validate()
        {
            if (BatchSize < 1)
            {
                return ValidationResult.Error($"--batch-size must be at least 1; got {BatchSize}.");
            }

            if (Score.Trim().ToLowerInvariant() is not ("logit" or "probability"))
            {
                return ValidationResult.Error($"--score must be logit or probability; got '{Score}'.");
            }

            return MaxPixels < 1 ? ValidationResult.Error("--max-pixels must be positive.") : base.Validate();
        }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var colormap = Colormap.Parse(settings.Colormap);
        var paths = ImageInputs.Collect(settings.Images);
        using var host = HostFactory.Create(settings.Device, settings.KernelCheck, console);
        var methods = MethodSelection.Resolve(host, settings.Methods);
        var methodOptions = MethodOptions.Resolve(host, methods, settings.Options);
        using var model = ModelLoader.Load(settings, host.Device);
        var layer = settings.Layer ?? model.Explainable.DefaultLayer;
        _ = model.Explainable.GetLayer(layer);
        var targets = TargetPlan.Create(OptionValues.Split(settings.Targets), settings.TargetsFrom, settings.TopK, model.Labels);
        var limits = ImageLimits.Default with { MaxPixels = settings.MaxPixels };
        var explainer = new BatchExplainer(host, model, new ExplainOptions(methods, layer, targets, settings.Out, colormap, settings.Alpha, settings.SaveMaps, limits, settings.Score.Trim().Equals("probability", StringComparison.OrdinalIgnoreCase), methodOptions));

        var (unique, clashes) = ImageInputs.SeparateClashes(paths);
        var outcomes = ProgressDisplay.Run(console, "explaining", paths.Count, report =>
        {
            var done = new List<ImageOutcome>();
            foreach (var clash in clashes)
            {
                console.Fail(clash.Error!);
                done.Add(clash);
            }

            foreach (var batch in unique.Chunk(settings.BatchSize))
            {
                cancellationToken.ThrowIfCancellationRequested();
                foreach (var outcome in explainer.Run(batch))
                {
                    if (outcome.Error is not null)
                    {
                        console.Fail(outcome.Error);
                    }

                    done.Add(outcome);
                }

                report(done.Count, Path.GetFileName(batch[^1]));
            }

            return done;
        });

        foreach (var warning in explainer.Warnings)
        {
            console.Warn(warning);
        }

        var failed = outcomes.Where(o => o.Error is not null).ToList();
        var files = outcomes.Sum(o => o.Files.Count);
        var summary = $"Explained {outcomes.Count - failed.Count} of {outcomes.Count} image(s) with {string.Join(", ", methods)} at layer {layer}: {files} file(s) in {settings.Out}";
        console.WriteLine(failed.Count == 0 ? summary + "." : $"{summary}; {failed.Count} failed: {string.Join(", ", failed.Select(f => f.Path))}.");
        return failed.Count == 0 ? ExitCodes.Success : ExitCodes.SomeFailed;
    }
}
