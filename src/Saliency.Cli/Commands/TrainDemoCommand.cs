using System.ComponentModel;
using System.Globalization;
using System.Text.Json;
using Saliency.Cli.Infrastructure;
using Saliency.Models;
using Saliency.Models.Training;
using Spectre.Console;
using Spectre.Console.Cli;
using TorchSharp;

namespace Saliency.Cli.Commands;

/// <summary>
/// <c>saliency train-demo</c>: trains fashion-gap from Fashion-MNIST, measures held-out accuracy, and writes the
/// weights, a training record and the sample canvases in the layout of src/Saliency.Models.
/// </summary>
internal sealed class TrainDemoCommand(CliConsole console) : Command<TrainDemoCommand.Settings>
{
    public sealed class Settings : GlobalSettings
    {
        [CommandOption("--epochs <N>")]
        [Description("Epochs of 30,000 two-item canvases each.")]
        [DefaultValue(TrainingOptions.DefaultEpochs)]
        public int Epochs { get; set; }

        [CommandOption("--epoch-size <N>")]
        [Description("Canvases per epoch (30,000 hold as many items as the training split).")]
        [DefaultValue(30_000)]
        public int EpochSize { get; set; }

        [CommandOption("--seed <N>")]
        [Description("Seeds the weight initialisation and the canvas generator.")]
        [DefaultValue(1)]
        public int Seed { get; set; }

        [CommandOption("--data <DIR>")]
        [Description("The folder of Fashion-MNIST's IDX files (Debian: apt-get install dataset-fashion-mnist).")]
        [DefaultValue(FashionMnist.DefaultDirectory)]
        public string Data { get; set; } = FashionMnist.DefaultDirectory;

        [CommandOption("-o|--out <DIR>")]
        [Description("Writes Weights/fashion-gap.safetensors, Weights/fashion-gap.training.json and Samples/ here; src/Saliency.Models replaces the bundled ones.")]
        [DefaultValue("out/fashion-gap")]
        public string Out { get; set; } = "out/fashion-gap";

        [CommandOption("--threads <N>")]
        [Description("libtorch threads; results are bitwise reproducible only with the same count on the same CPU.")]
        [DefaultValue(2)]
        public int Threads { get; set; }

        [CommandOption("--batch-size <N>")]
        [Description("Canvases per step.")]
        [DefaultValue(64)]
        public int BatchSize { get; set; }

        [CommandOption("--lr <RATE>")]
        [Description("Peak learning rate of the one-cycle schedule (Adam).")]
        [DefaultValue(0.01)]
        public double LearningRate { get; set; }

        [CommandOption("--canvas-sides <LIST>")]
        [Description("Comma-separated canvas sides (at least 64) training draws from, one per step, e.g. 64,64,64,96: small canvases are cheaper; 96 is the demo's input.")]
        [DefaultValue("64")]
        public string CanvasSides { get; set; } = "64";

        [CommandOption("--single-items <SHARE>")]
        [Description("The share of the first steps that show items alone on 32×32 canvases (4 per two-item canvas of the batch size: twice the items for about the same cost), 0 to 1.")]
        [DefaultValue(TrainingOptions.DefaultSingleItemShare)]
        public double SingleItems { get; set; }

        [CommandOption("--final-full-size <SHARE>")]
        [Description("The share of the last steps trained on 96×96 canvases whatever --canvas-sides says (0 to 1), so training ends at the demo's input size.")]
        [DefaultValue(TrainingOptions.DefaultFinalFullSizeShare)]
        public double FinalFullSize { get; set; }

        [CommandOption("--cam-penalty <WEIGHT>")]
        [Description("Weight of a penalty on negative class activation maps (mean of ReLU(−CAM)), which keeps each class's CAM non-negative evidence so its zero lies on the background.")]
        [DefaultValue(TrainingOptions.DefaultCamPenalty)]
        public double CamPenalty { get; set; }

        [CommandOption("--samples <N>")]
        [Description("Sample canvases to write from the test split.")]
        [DefaultValue(6)]
        public int Samples { get; set; }

        public override ValidationResult Validate()
        {
            if (Epochs < 1 || EpochSize < 1 || Threads < 1 || BatchSize < 1 || Samples < 0)
            {
                return ValidationResult.Error("--epochs, --epoch-size, --threads and --batch-size must be at least 1, --samples at least 0.");
            }

            var sides = CanvasSides.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            if (sides.Length == 0 || sides.Any(side => !int.TryParse(side, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value < CanvasGenerator.MinimumSide))
            {
                return ValidationResult.Error($"--canvas-sides takes comma-separated sides of at least {CanvasGenerator.MinimumSide} pixels, e.g. 64,96; got '{CanvasSides}'.");
            }

            if (FinalFullSize is < 0 or > 1 || double.IsNaN(FinalFullSize))
            {
                return ValidationResult.Error($"--final-full-size is a share of the steps, from 0 to 1; got {FinalFullSize.ToString(CultureInfo.InvariantCulture)}.");
            }

            if (SingleItems is < 0 or > 1 || double.IsNaN(SingleItems) || SingleItems + FinalFullSize > 1)
            {
                return ValidationResult.Error($"--single-items is a share of the steps, from 0 to 1, and with --final-full-size at most 1; got {SingleItems.ToString(CultureInfo.InvariantCulture)} and {FinalFullSize.ToString(CultureInfo.InvariantCulture)}.");
            }

            if (CamPenalty < 0 || !double.IsFinite(CamPenalty))
            {
                return ValidationResult.Error($"--cam-penalty must be 0 or more; got {CamPenalty.ToString(CultureInfo.InvariantCulture)}.");
            }

            return LearningRate > 0 ? ValidationResult.Success() : ValidationResult.Error("--lr must be positive.");
        }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var options = new TrainingOptions
        {
            DataDirectory = settings.Data,
            Epochs = settings.Epochs,
            EpochSize = settings.EpochSize,
            Seed = settings.Seed,
            BatchSize = settings.BatchSize,
            LearningRate = settings.LearningRate,
            Threads = settings.Threads,
            CanvasSides = [.. settings.CanvasSides.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(side => int.Parse(side, CultureInfo.InvariantCulture))],
            SingleItemShare = settings.SingleItems,
            FinalFullSizeShare = settings.FinalFullSize,
            CamPenalty = settings.CamPenalty,
        };
        TorchRuntime.EnsureInitialized();
        torch.set_num_threads(options.Threads);
        if (KernelGuard.Default.Ensure(torch.CPU, KernelCheckMode.Auto)?.Warning is { } warning)
        {
            console.Warn(warning);
        }

        console.WriteLine($"Training fashion-gap: {options.Epochs} epoch(s) × {options.EpochSize:N0} canvases, seed {options.Seed}, {options.Threads} thread(s), data {options.DataDirectory}");
        var result = ProgressDisplay.Run(console, "training", 1.0, report =>
            DemoTrainer.Train(options, new Progress(report), cancellationToken));

        var weights = Path.Combine(settings.Out, "Weights", "fashion-gap.safetensors");
        ModelWeights.Save(result.Model, weights);
        console.WriteLine($"Saved {weights}; measuring held-out accuracy on {options.EvaluationCanvases:N0} canvases from the test split");
        var test = FashionMnist.LoadTest(settings.Data);
        var accuracy = DemoTrainer.Evaluate(result.Model, test, options.EvaluationCanvases);
        var record = Path.Combine(settings.Out, "Weights", "fashion-gap.training.json");
        File.WriteAllText(record, JsonSerializer.Serialize(
            new
            {
                options.Epochs,
                options.Seed,
                options.BatchSize,
                options.LearningRate,
                options.Threads,
                options.CanvasSides,
                options.SingleItemShare,
                options.FinalFullSizeShare,
                options.CamPenalty,
                result.Canvases,
                TrainingSeconds = Math.Round(result.Elapsed.TotalSeconds, 1),
                FinalLoss = Math.Round(result.FinalLoss, 4),
                HeldOutCanvases = options.EvaluationCanvases,
                HeldOutSeed = DemoTrainer.EvaluationSeed,
                HeldOutBothInTop2 = Math.Round(accuracy, 4),
            },
            new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase }) + "\n");
        if (settings.Samples > 0)
        {
            DemoSamples.Write(test, settings.Samples, Path.Combine(settings.Out, "Samples"));
        }

        var size = new FileInfo(weights).Length;
        console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"Trained in {result.Elapsed.TotalSeconds:F0} s; held-out accuracy (both classes in the top 2, {options.EvaluationCanvases:N0} test canvases): {accuracy:P1}; weights {weights} ({size / 1024.0:F0} KiB)"));
        result.Model.Dispose();
        return ExitCodes.Success;
    }

    private sealed class Progress(Action<double, string?> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) =>
            report((double)value.Step / value.TotalSteps, string.Create(CultureInfo.InvariantCulture, $"step {value.Step}/{value.TotalSteps}, loss {value.Loss:F4}"));
    }
}
