using System.ComponentModel;
using System.Globalization;
using Saliency.Cli.Evaluating;
using Saliency.Cli.Explaining;
using Saliency.Cli.Infrastructure;
using Saliency.Cli.Modeling;
using Saliency.Evaluation;
using Saliency.Models.Training;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Saliency.Cli.Commands;

/// <summary>
/// <c>saliency evaluate</c>: localization against ground-truth boxes, faithfulness through the model and the cascading
/// randomization sanity check, per method — a Markdown table on stdout, optionally JSON and plots.
/// </summary>
internal sealed class EvaluateCommand(CliConsole console) : Command<EvaluateCommand.Settings>
{
    /// <summary>The methods evaluated when none is given: the seed's four.</summary>
    public static readonly string[] DefaultMethods = ["cam", "grad-cam", "guided-backprop", "guided-grad-cam"];

    public sealed class Settings : ModelSettings
    {
        [CommandArgument(0, "[IMAGES]")]
        [Description("Image files (PNG, JPEG) or folders of them; or none with --canvases.")]
        public string[] Images { get; set; } = [];

        [CommandOption("--boxes <CSV>")]
        [Description("Ground-truth boxes: header image,class,x0,y0,x1,y1; class an index or label; x1,y1 exclusive; several rows per image allowed. Needed for localization.")]
        public string? Boxes { get; set; }

        [CommandOption("--canvases <N>")]
        [Description("Evaluate N two-item canvases generated from Fashion-MNIST's test split (fashion-gap), with their boxes.")]
        public int? Canvases { get; set; }

        [CommandOption("--seed <N>")]
        [Description("Seeds the generated canvases (training uses seed 1 on the training split), ROAD's noise and the randomization.")]
        [DefaultValue(EvaluationInputs.DefaultCanvasSeed)]
        public int Seed { get; set; }

        [CommandOption("--data <DIR>")]
        [Description("The folder of Fashion-MNIST's IDX files for --canvases (Debian: apt-get install dataset-fashion-mnist).")]
        [DefaultValue(FashionMnist.DefaultDirectory)]
        public string Data { get; set; } = FashionMnist.DefaultDirectory;

        [CommandOption("--save-canvases <DIR>")]
        [Description("Also write the generated canvases (PNG) and their boxes.csv here.")]
        public string? SaveCanvases { get; set; }

        [CommandOption("-M|--method <METHOD>")]
        [Description("Method id(s), repeated or comma-separated; 'all' for every loaded method. Default: cam, grad-cam, guided-backprop, guided-grad-cam.")]
        public string[] Methods { get; set; } = [];

        [CommandOption("--metrics <LIST>")]
        [Description("Comma-separated: localization, faithfulness, sanity.")]
        [DefaultValue("localization,faithfulness,sanity")]
        public string Metrics { get; set; } = "localization,faithfulness,sanity";

        [CommandOption("--limit <N>")]
        [Description("Evaluate only the first N images (a quick look).")]
        public int? Limit { get; set; }

        [CommandOption("--tolerance <PX>")]
        [Description("Pointing game tolerance in pixels (Zhang et al. use 15).")]
        [DefaultValue(0)]
        public int Tolerance { get; set; }

        [CommandOption("--steps <N>")]
        [Description("Steps of the deletion and insertion curves.")]
        [DefaultValue(10)]
        public int Steps { get; set; }

        [CommandOption("--faithfulness-images <N>")]
        [Description("Run the faithfulness metrics on the first N images only (about 30 forwards per image, target and method); 0 = all.")]
        [DefaultValue(100)]
        public int FaithfulnessImages { get; set; }

        [CommandOption("--score <KIND>")]
        [Description("What faithfulness follows: softmax (default), sigmoid (multi-label models) or logit.")]
        [DefaultValue("softmax")]
        public string Score { get; set; } = "softmax";

        [CommandOption("--sanity-images <N>")]
        [Description("Images the cascading randomization runs on.")]
        [DefaultValue(16)]
        public int SanityImages { get; set; }

        [CommandOption("-b|--batch-size <N>")]
        [Description("Images explained per call.")]
        [DefaultValue(32)]
        public int BatchSize { get; set; }

        [CommandOption("--json <FILE>")]
        [Description("Also write the results as JSON: {\"methods\": {\"<id>\": {\"pointing_game\": …}}} (fractions in [[0,1]]).")]
        public string? Json { get; set; }

        [CommandOption("-o|--out <DIR>")]
        [Description("Write the plots here: deletion.png, insertion.png, road.png, randomization-spearman.png, randomization-ssim.png.")]
        public string? Out { get; set; }

        public override ValidationResult Validate()
        {
            if (Canvases is not null == Images.Length > 0)
            {
                return ValidationResult.Error("Give image files (with --boxes for localization) or --canvases N, not both and not neither.");
            }

            if (Canvases is < 1 || Limit is < 1 || Steps < 1 || BatchSize < 1 || SanityImages < 0 || Tolerance < 0 || FaithfulnessImages < 0)
            {
                return ValidationResult.Error("--canvases, --limit, --steps and --batch-size must be at least 1; --sanity-images, --faithfulness-images and --tolerance at least 0.");
            }

            if (!Enum.TryParse<ScoreKind>(Score.Trim(), ignoreCase: true, out _))
            {
                return ValidationResult.Error($"--score must be softmax, sigmoid or logit; got '{Score}'.");
            }

            var unknown = OptionValues.Split([Metrics]).Where(m => m is not ("localization" or "faithfulness" or "sanity")).ToList();
            return unknown.Count > 0
                ? ValidationResult.Error($"--metrics takes localization, faithfulness and sanity; got '{string.Join("', '", unknown)}'.")
                : base.Validate();
        }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        using var host = HostFactory.Create(settings.Device, settings.KernelCheck, console);
        var requested = settings.Methods.Length == 0 ? DefaultMethods : settings.Methods;
        var methods = OptionValues.Split(requested).Contains("all", StringComparer.Ordinal)
            ? [.. host.Methods.Select(m => m.Id)]
            : MethodSelection.Resolve(host, requested);
        using var model = ModelLoader.Load(settings, host.Device);
        var metrics = OptionValues.Split([settings.Metrics]).ToHashSet(StringComparer.Ordinal);

        var failures = 0;
        var samples = settings.Canvases is { } count
            ? EvaluationInputs.Canvases(Math.Min(count, settings.Limit ?? count), settings.Seed, settings.Data, model, settings.SaveCanvases)
            : FromFiles(settings, model, ref failures);
        if (settings.Limit is { } limit && samples.Count > limit)
        {
            samples = samples[..limit];
        }

        if (samples.Count == 0)
        {
            throw new ArgumentException("No image left to evaluate.");
        }

        var localization = metrics.Contains("localization") && samples.Any(s => s.Boxes.Count > 0);
        if (metrics.Contains("localization") && !localization)
        {
            console.Warn("localization needs ground-truth boxes (--boxes or --canvases); it is skipped.");
        }

        var options = new EvaluationOptions
        {
            Localization = localization,
            Faithfulness = metrics.Contains("faithfulness"),
            FaithfulnessImages = settings.FaithfulnessImages,
            SanityImages = metrics.Contains("sanity") ? settings.SanityImages : 0,
            Tolerance = settings.Tolerance,
            Steps = settings.Steps,
            Score = Enum.Parse<ScoreKind>(settings.Score.Trim(), ignoreCase: true),
            BatchSize = settings.BatchSize,
            Seed = settings.Seed,
        };
        var module = model.Explainable.Module;
        var scorer = new ModelScorer(input => module.call(input.to(host.Device)), options.Score, batchSize: 64);
        var report = ProgressDisplay.Run(console, "evaluating", 1.0, progress =>
            Evaluator.Run(host, model.Explainable, scorer, samples, methods, options,
                new Progress(p => progress((double)p.Done / p.Total, $"{p.Done}/{p.Total}")), cancellationToken));

        console.WriteLine(ReportWriter.Markdown(report));
        if (settings.Json is { } json)
        {
            var folder = Path.GetDirectoryName(Path.GetFullPath(json));
            if (folder is not null)
            {
                Directory.CreateDirectory(folder);
            }

            File.WriteAllText(json, ReportWriter.Json(report));
        }

        var plots = settings.Out is { } outDirectory ? ReportPlots.Write(report, outDirectory) : [];
        console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"Evaluated {report.Images} image(s), {string.Join(", ", methods)}, in {report.Seconds:F0} s ({report.Forwards:N0} scoring forwards){(settings.Json is null ? string.Empty : $"; JSON {settings.Json}")}{(plots.Count == 0 ? string.Empty : $"; {plots.Count} plot(s) in {settings.Out}")}."));
        return failures == 0 ? ExitCodes.Success : ExitCodes.SomeFailed;
    }

    private List<EvaluationSample> FromFiles(Settings settings, LoadedModel model, ref int failures)
    {
        var paths = ImageInputs.Collect(settings.Images).Select(i => i.Path).ToList();
        BoxesFile? boxes = null;
        if (settings.Boxes is { } file)
        {
            boxes = BoxesFile.Load(file, EvaluationInputs.Labels(model));
            foreach (var error in boxes.Errors)
            {
                console.Fail(error);
            }

            failures += boxes.Errors.Count;
        }

        var failed = 0;
        var samples = EvaluationInputs.FromFiles(paths, boxes, model, message =>
        {
            console.Fail(message);
            failed++;
        });
        failures += failed;
        return samples;
    }

    private sealed class Progress(Action<(int Done, int Total)> report) : IProgress<(int Done, int Total)>
    {
        public void Report((int Done, int Total) value) => report(value);
    }
}
