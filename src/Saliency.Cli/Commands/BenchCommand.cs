using System.ComponentModel;
using System.Globalization;
using Saliency.Benchmarking;
using Saliency.Cli.Infrastructure;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Saliency.Cli.Commands;

/// <summary>
/// <c>saliency bench</c>: each method's time on resnet18 against the plain-TorchSharp floor of the passes it needs
/// (interleaved rounds, medians, ratios), or with <c>--memory N</c> the memory after N consecutive explanations.
/// </summary>
internal sealed class BenchCommand(CliConsole console) : Command<BenchCommand.Settings>
{
    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var kernelCheck = KernelCheckOption.Parse(settings.KernelCheck);
        if (settings.KernelCost)
        {
            var cost = KernelCost.Run(new KernelCostOptions
            {
                Batches = settings.BatchSizes(),
                Iterations = settings.Iterations,
                MinIterations = Math.Min(3, settings.Iterations),
                Threads = settings.Threads,
                TimeBudget = settings.Budget > 0 ? TimeSpan.FromSeconds(settings.Budget) : null,
                TuneAllocator = !settings.DefaultAllocator,
                Progress = console.Error.WriteLine,
            });
            console.WriteLine(cost.ToText());
            if (settings.Markdown is { } costPath)
            {
                File.WriteAllText(costPath, cost.ToMarkdown());
            }

            return ExitCodes.Success;
        }

        if (settings.Memory is { } runs)
        {
            var memory = MemoryCheck.Run(new MemoryCheckOptions
            {
                Iterations = runs,
                WarmRuns = settings.Warm ?? Math.Min(100, runs / 4),
                Device = settings.Device,
                Threads = settings.Threads,
                TuneAllocator = !settings.DefaultAllocator,
                KernelCheck = kernelCheck,
                Progress = console.Error.WriteLine,
            });
            console.WriteLine(memory.ToText());
            return memory.IsFlat ? ExitCodes.Success : ExitCodes.SomeFailed;
        }

        var report = QuickBench.Run(new QuickBenchOptions
        {
            Device = settings.Device,
            Batches = settings.BatchSizes(),
            Iterations = settings.Iterations,
            MinIterations = Math.Min(3, settings.Iterations),
            Threads = settings.Threads,
            TimeBudget = settings.Budget > 0 ? TimeSpan.FromSeconds(settings.Budget) : null,
            Breakdown = settings.Breakdown,
            TuneAllocator = !settings.DefaultAllocator,
            KernelCheck = kernelCheck,
            Progress = console.Error.WriteLine,
        });
        console.WriteLine(report.ToText());
        if (settings.Markdown is { } path)
        {
            File.WriteAllText(path, report.ToMarkdown());
        }

        return ExitCodes.Success;
    }

    /// <summary>Options of <c>saliency bench</c>.</summary>
    internal sealed class Settings : GlobalSettings
    {
        [CommandOption("-d|--device <DEVICE>")]
        [Description("cpu, cuda, cuda:N or auto.")]
        [DefaultValue("cpu")]
        public string Device { get; set; } = "cpu";

        [CommandOption("-b|--batch <SIZES>")]
        [Description("Batch sizes, comma-separated.")]
        [DefaultValue("1,8")]
        public string Batch { get; set; } = "1,8";

        [CommandOption("-n|--iterations <N>")]
        [Description("The most measured rounds (each times every case once).")]
        [DefaultValue(10)]
        public int Iterations { get; set; } = 10;

        [CommandOption("-t|--threads <N>")]
        [Description("libtorch threads (default: one per logical core).")]
        public int? Threads { get; set; }

        [CommandOption("--budget <SECONDS>")]
        [Description("Start no round that would end after this many seconds (0: no limit).")]
        [DefaultValue(50.0)]
        public double Budget { get; set; } = 50;

        [CommandOption("--breakdown")]
        [Description("Also time the engine's passes alone, to see where a method's time over its floor goes.")]
        public bool Breakdown { get; set; }

        [CommandOption("--default-allocator")]
        [Description("Measure with glibc's default allocator settings instead of tuning them for tensors (see docs/benchmarks.md).")]
        public bool DefaultAllocator { get; set; }

        [CommandOption("--markdown <FILE>")]
        [Description("Also write the table as Markdown.")]
        public string? Markdown { get; set; }

        [CommandOption("--kernel-check <MODE>")]
        [Description("auto (default: measure what users get, oneDNN turned off if its kernels fail the self-check), strict, or off (measure the unguarded kernels, which may be wrong).")]
        [DefaultValue("auto")]
        public string KernelCheck { get; set; } = "auto";

        [CommandOption("--kernel-cost")]
        [Description("Instead of the floors: time every method with oneDNN on and off in the same rounds (CPU), i.e. what the kernel guard's route costs.")]
        public bool KernelCost { get; set; }

        [CommandOption("--memory <N>")]
        [Description("Instead of timing: N consecutive grad-cam explanations; report RSS, live tensors and the slope.")]
        public int? Memory { get; set; }

        [CommandOption("--warm <N>")]
        [Description("With --memory: the run from which growth is measured (default 100).")]
        public int? Warm { get; set; }

        public IReadOnlyList<int> BatchSizes() =>
            [.. Batch.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(b => int.Parse(b, CultureInfo.InvariantCulture))];

        public override ValidationResult Validate()
        {
            if (!Batch.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).All(b => int.TryParse(b, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0))
            {
                return ValidationResult.Error($"--batch must be positive integers separated by commas; got '{Batch}'.");
            }

            return Iterations < 1 ? ValidationResult.Error("--iterations must be at least 1.")
                : Threads is < 1 ? ValidationResult.Error("--threads must be at least 1.")
                : Memory is < 10 ? ValidationResult.Error("--memory needs at least 10 runs.")
                : Warm is { } warm && (warm < 0 || warm >= (Memory ?? int.MaxValue)) ? ValidationResult.Error("--warm must lie in [0, --memory).")
                : KernelCost && Memory is not null ? ValidationResult.Error("--kernel-cost and --memory measure different things; pass one.")
                : KernelCost && Device.Trim().ToLowerInvariant() != "cpu" ? ValidationResult.Error("--kernel-cost measures the CPU's oneDNN; use --device cpu.")
                : KernelCheckOption.Validate(KernelCheck);
        }
    }
}
