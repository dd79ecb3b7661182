using System.Globalization;
using System.Text;

namespace Saliency.Benchmarks;

/// <summary>What <c>saliency-bench</c> runs: the quick table unless an option names another mode.</summary>
internal enum BenchMode
{
    /// <summary>Each method against the floor of the passes it needs, in interleaved rounds (the default).</summary>
    Quick,

    /// <summary>Every method with oneDNN on and off in the same rounds: what the kernel guard's route costs.</summary>
    KernelCost,

    /// <summary>N consecutive explanations: RSS, live tensors and the slope.</summary>
    Memory,

    /// <summary>BenchmarkDotNet's run of the floors and the methods.</summary>
    BenchmarkDotNet,

    /// <summary>Score-CAM and Ablation-CAM beside pytorch-grad-cam's strategies, in the same rounds.</summary>
    Perturbation,
}

/// <summary>A bad command line: the message names the option at fault.</summary>
internal sealed class BenchUsageException(string message) : Exception(message);

/// <summary>
/// The command line of <c>saliency-bench</c>, parsed and checked. Every option is one row of <see cref="Options"/>
/// (its names, its value, the modes it applies to, its help line), so the parser and <see cref="HelpText"/> cannot
/// disagree. A bad value, an unknown option or an option outside the chosen mode is a <see cref="BenchUsageException"/>.
/// </summary>
internal sealed record BenchArguments
{
    private static readonly BenchMode[] Timed = [BenchMode.Quick, BenchMode.KernelCost, BenchMode.Perturbation];
    private static readonly BenchMode[] Measured = [BenchMode.Quick, BenchMode.KernelCost, BenchMode.Memory];
    private static readonly BenchMode[] Every = Enum.GetValues<BenchMode>();

    private static readonly Option[] Options =
    [
        new("--memory", "N", [], "Instead of timing: N consecutive explanations (at least 10); report RSS, live tensors and the slope. Exit 1 when memory is not flat.",
            (a, v) => a.In(BenchMode.Memory, "--memory") with { MemoryRuns = Integer("--memory", v, minimum: 10, "needs at least 10 runs") }),
        new("--kernel-cost", null, [], "Instead of the floors: time every method with oneDNN on and off in the same rounds (CPU), i.e. what the kernel guard's route costs.",
            (a, _) => a.In(BenchMode.KernelCost, "--kernel-cost")),
        new("--perturbation", null, [], "Instead of the floors: score-cam and ablation-cam on resnet18 beside pytorch-grad-cam's strategies written in plain TorchSharp (at most 3 rounds; a few minutes).",
            (a, _) => a.In(BenchMode.Perturbation, "--perturbation")),
        new("--bdn", null, [], "BenchmarkDotNet instead of the quick table; every argument not listed here goes to BenchmarkDotNet (e.g. --filter '*').",
            (a, _) => a.In(BenchMode.BenchmarkDotNet, "--bdn")),
        new("-d|--device", "DEVICE", Every, "cpu (default), cuda, cuda:N or auto.",
            (a, v) => a with { Device = v }),
        new("-b|--batch", "SIZES", Measured, "Batch sizes, comma-separated (default 1,8; the memory check takes one, default 1).",
            (a, v) => a with { Batches = BatchSizes(v) }),
        new("-n|--iterations", "N", Timed, "The most measured rounds, each timing every case once (default 10).",
            (a, v) => a with { Iterations = Integer("--iterations", v, minimum: 1, "must be at least 1") }),
        new("-t|--threads", "N", Every, "libtorch threads (default: one per logical core).",
            (a, v) => a with { Threads = Integer("--threads", v, minimum: 1, "must be at least 1") }),
        new("--budget", "SECONDS", Timed, "Start no round that would end after this many seconds (default 50; 0: no limit).",
            (a, v) => a with { Budget = Seconds(v) }),
        new("--breakdown", null, [BenchMode.Quick], "Also time the engine's passes alone, to see where a method's time over its floor goes.",
            (a, _) => a with { Breakdown = true }),
        new("--kernel-check", "MODE", [BenchMode.Quick, BenchMode.Memory, BenchMode.Perturbation], "auto (default: measure what users get, oneDNN turned off if its kernels fail the self-check), strict, or off (measure the unguarded kernels, which may be wrong).",
            (a, v) => a with { KernelCheck = ParseKernelCheck(v) }),
        new("--default-allocator", null, Every, "Measure with glibc's default allocator settings instead of tuning them for tensors (docs/benchmarks.md#the-allocator).",
            (a, _) => a with { DefaultAllocator = true }),
        new("--markdown", "FILE", Measured, "Also write the report as Markdown.",
            (a, v) => a with { Markdown = v }),
        new("--method", "ID", [BenchMode.Memory], "The method the memory check runs (default grad-cam).",
            (a, v) => a with { Method = v }),
        new("--warm", "N", [BenchMode.Memory], "The run from which memory growth is measured (default 100, at most a quarter of the runs).",
            (a, v) => a with { Warm = Integer("--warm", v, minimum: 0, "must lie in [0, --memory)") }),
        new("-h|--help", null, Every, "This text.",
            (a, _) => a with { Help = true }),
    ];

    /// <summary>The mode; <see cref="BenchMode.Quick"/> unless <c>--memory</c>, <c>--kernel-cost</c> or <c>--bdn</c> is given.</summary>
    public BenchMode Mode { get; init; }

    /// <summary>The device name, as <see cref="DeviceSelector"/> takes it.</summary>
    public string Device { get; init; } = "cpu";

    /// <summary>The batch sizes, or <see langword="null"/> for the mode's default.</summary>
    public IReadOnlyList<int>? Batches { get; init; }

    /// <summary>The most measured rounds (quick table, kernel cost).</summary>
    public int Iterations { get; init; } = 10;

    /// <summary>libtorch threads; <see langword="null"/> means one per logical core.</summary>
    public int? Threads { get; init; }

    /// <summary>The time budget in seconds; 0 for none.</summary>
    public double Budget { get; init; } = 50;

    /// <summary>Whether the quick table also times the engine's passes alone.</summary>
    public bool Breakdown { get; init; }

    /// <summary>Whether to leave glibc's allocator as it is.</summary>
    public bool DefaultAllocator { get; init; }

    /// <summary>Where to write the report as Markdown too, if anywhere.</summary>
    public string? Markdown { get; init; }

    /// <summary>The kernel check before measuring.</summary>
    public KernelCheckMode KernelCheck { get; init; } = KernelCheckMode.Auto;

    /// <summary>Consecutive explanations of the memory check.</summary>
    public int MemoryRuns { get; init; }

    /// <summary>The run from which memory growth is measured, or <see langword="null"/> for the default.</summary>
    public int? Warm { get; init; }

    /// <summary>The method of the memory check.</summary>
    public string Method { get; init; } = "grad-cam";

    /// <summary>Whether <c>--help</c> was asked for.</summary>
    public bool Help { get; init; }

    /// <summary>The arguments BenchmarkDotNet gets (its mode only).</summary>
    public IReadOnlyList<string> BenchmarkDotNetArguments { get; init; } = [];

    /// <summary>The time budget, or <see langword="null"/> for none.</summary>
    public TimeSpan? TimeBudget => Budget > 0 ? TimeSpan.FromSeconds(Budget) : null;

    /// <summary>The usage text, one line per option.</summary>
    public static string HelpText
    {
        get
        {
            var text = new StringBuilder()
                .AppendLine("usage: saliency-bench [--memory N | --kernel-cost | --perturbation | --bdn] [options]")
                .AppendLine()
                .AppendLine("Times each saliency method on resnet18 (layer4, 224×224) against the plain-TorchSharp floor of the passes it")
                .AppendLine("needs, in interleaved rounds (about a minute); or checks memory over many runs, or what the kernel guard costs.")
                .AppendLine("Results: docs/benchmarks.md. Exit 0; 1 when the memory check is not flat; 2 for bad usage; 3 when libtorch")
                .AppendLine("cannot load or the kernels are wrong with no way around.")
                .AppendLine()
                .AppendLine("modes (default: the quick table):");
            foreach (var option in Options.Where(o => o.Modes.Length == 0))
            {
                AppendHelp(text, option);
            }

            text.AppendLine().AppendLine("options (in brackets: the modes an option applies to, if not all):");
            foreach (var option in Options.Where(o => o.Modes.Length > 0))
            {
                AppendHelp(text, option);
            }

            return text.ToString();
        }
    }

    /// <summary>Parses and checks a command line.</summary>
    /// <param name="args">The arguments.</param>
    /// <returns>What to run.</returns>
    /// <exception cref="BenchUsageException">An option is unknown, lacks its value, has a bad one, or does not apply to the mode.</exception>
    public static BenchArguments Parse(IReadOnlyList<string> args)
    {
        var result = new BenchArguments();
        var given = new List<(string Name, Option Option)>();
        var rest = new List<string>();
        for (var i = 0; i < args.Count; i++)
        {
            var name = args[i];
            var option = Options.FirstOrDefault(o => o.Names.Split('|').Contains(name, StringComparer.Ordinal));
            if (option is null)
            {
                rest.Add(name);
                continue;
            }

            if (option.Value is not null && i + 1 >= args.Count)
            {
                throw new BenchUsageException($"{name} needs a value ({option.Value}).");
            }

            result = option.Apply(result, option.Value is null ? string.Empty : args[++i]);
            given.Add((name, option));
        }

        if (result.Help)
        {
            return result;
        }

        if (result.Mode != BenchMode.BenchmarkDotNet && rest.Count > 0)
        {
            throw new BenchUsageException($"Unknown option '{rest[0]}'; see --help.");
        }

        foreach (var (name, option) in given.Where(g => g.Option.Modes.Length > 0 && !g.Option.Modes.Contains(result.Mode)))
        {
            throw new BenchUsageException($"{name} applies only to {string.Join(", ", option.Modes.Select(Name))}; see --help.");
        }

        return result.Checked() with { BenchmarkDotNetArguments = rest };
    }

    private static void AppendHelp(StringBuilder text, Option option)
    {
        var names = string.Join(", ", option.Names.Split('|')) + (option.Value is null ? string.Empty : $" {option.Value}");
        var modes = option.Modes.Length is 0 || option.Modes.Length == Every.Length ? string.Empty : $" [{string.Join(", ", option.Modes.Select(Flag))}]";
        text.AppendLine(CultureInfo.InvariantCulture, $"  {names,-22} {option.Help}{modes}");
    }

    private BenchArguments Checked() =>
        Mode == BenchMode.Memory && Warm is { } warm && warm >= MemoryRuns ? throw new BenchUsageException("--warm must lie in [0, --memory).")
        : Mode == BenchMode.Memory && Batches is { Count: > 1 } ? throw new BenchUsageException($"--memory runs one batch size; got {string.Join(',', Batches)}.")
        : Mode == BenchMode.KernelCost && Device.Trim().ToLowerInvariant() != "cpu" ? throw new BenchUsageException("--kernel-cost measures the CPU's oneDNN; use --device cpu.")
        : Mode == BenchMode.Perturbation && Device.Trim().ToLowerInvariant() != "cpu" ? throw new BenchUsageException("--perturbation runs on the CPU; use --device cpu.")
        : this;

    /// <summary>This with <paramref name="mode"/>, unless another mode was named already.</summary>
    private BenchArguments In(BenchMode mode, string flag)
    {
        if (Mode != BenchMode.Quick && Mode != mode)
        {
            var (first, second) = Mode < mode ? (Flag(Mode), flag) : (flag, Flag(Mode));
            throw new BenchUsageException($"{first} and {second} measure different things; pass one.");
        }

        return this with { Mode = mode };
    }

    private static string Flag(BenchMode mode) => mode switch
    {
        BenchMode.Quick => "quick",
        BenchMode.KernelCost => "--kernel-cost",
        BenchMode.Perturbation => "--perturbation",
        BenchMode.Memory => "--memory",
        _ => "--bdn",
    };

    private static string Name(BenchMode mode) => mode switch
    {
        BenchMode.Quick => "the quick table",
        BenchMode.KernelCost => "--kernel-cost",
        BenchMode.Perturbation => "--perturbation",
        BenchMode.Memory => "--memory",
        _ => "--bdn",
    };

    private static int Integer(string option, string value, int minimum, string range) =>
        int.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n)
            ? n >= minimum ? n : throw new BenchUsageException($"{option} {range}.")
            : throw new BenchUsageException($"{option} must be an integer; got '{value}'.");

    private static double Seconds(string value) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds >= 0
            ? seconds
            : throw new BenchUsageException($"--budget must be a number of seconds ≥ 0; got '{value}'.");

    private static IReadOnlyList<int> BatchSizes(string value)
    {
        var parts = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var sizes = parts.Select(b => int.TryParse(b, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 0).ToList();
        return sizes.Count > 0 && sizes.All(n => n > 0)
            ? sizes
            : throw new BenchUsageException($"--batch must be positive integers separated by commas; got '{value}'.");
    }

    private static KernelCheckMode ParseKernelCheck(string value) => value.Trim().ToLowerInvariant() switch
    {
        "auto" => KernelCheckMode.Auto,
        "off" => KernelCheckMode.Off,
        "strict" => KernelCheckMode.Strict,
        _ => throw new BenchUsageException($"--kernel-check must be auto, off or strict; got '{value}'."),
    };

    /// <summary>One option: names separated by <c>|</c>, the value's placeholder (none for a switch), the modes it applies to (none: it names a mode), its help line, and what it sets.</summary>
    private sealed record Option(string Names, string? Value, BenchMode[] Modes, string Help, Func<BenchArguments, string, BenchArguments> Apply);
}
