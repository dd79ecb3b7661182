using BenchmarkDotNet.Running;
using Saliency.Benchmarking;

namespace Saliency.Benchmarks;

/// <summary>
/// <c>saliency-bench</c> (<c>./build.sh bench [options]</c>): the quick table of each method against its floor by
/// default, or with <c>--memory N</c> the memory check, with <c>--kernel-cost</c> what the kernel guard's route costs,
/// with <c>--bdn</c> BenchmarkDotNet. The options are those of <see cref="BenchArguments"/> (<c>--help</c> lists them);
/// docs/benchmarks.md says how the tables were taken.
/// </summary>
internal static class BenchProgram
{
    /// <summary>Everything asked for was measured (and memory was flat).</summary>
    public const int Success = 0;

    /// <summary>The memory check ran, and memory was not flat.</summary>
    public const int NotFlat = 1;

    /// <summary>Nothing was measured: bad usage, an unknown device or method, an unwritable Markdown file.</summary>
    public const int BadInput = 2;

    /// <summary>TorchSharp's native library cannot load, or the kernels are wrong and there is no way around.</summary>
    public const int Failure = 3;

    private static int Main(string[] args) => Run(args, Console.Out, Console.Error);

    /// <summary>Runs the command line: reports on <paramref name="output"/>, progress and one-line errors on <paramref name="error"/>.</summary>
    /// <param name="args">The arguments.</param>
    /// <param name="output">Where the report goes (BenchmarkDotNet writes to the console itself).</param>
    /// <param name="error">Where progress lines and <c>error: …</c> go.</param>
    /// <returns>The exit code.</returns>
    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        BenchArguments arguments;
        try
        {
            arguments = BenchArguments.Parse(args);
        }
        catch (BenchUsageException e)
        {
            error.WriteLine($"error: {e.Message}");
            return BadInput;
        }

        if (arguments.Help)
        {
            output.Write(BenchArguments.HelpText);
            return Success;
        }

        try
        {
            return arguments.Mode switch
            {
                BenchMode.KernelCost => KernelCostMode(arguments, output, error),
                BenchMode.Perturbation => PerturbationMode(arguments, output, error),
                BenchMode.Memory => MemoryMode(arguments, output, error),
                BenchMode.BenchmarkDotNet => BenchmarkDotNetMode(arguments),
                _ => QuickMode(arguments, output, error),
            };
        }
        catch (Exception e) when (e is ArgumentException or SaliencyException or IOException or UnauthorizedAccessException)
        {
            error.WriteLine($"error: {e.Message.Split('\n')[0].Trim()}");
            return e is SaliencyNativeLibraryException or KernelCheckException ? Failure : BadInput;
        }
    }

    private static int QuickMode(BenchArguments arguments, TextWriter output, TextWriter error)
    {
        var report = QuickBench.Run(new QuickBenchOptions
        {
            Device = arguments.Device,
            Batches = arguments.Batches ?? new QuickBenchOptions().Batches,
            Iterations = arguments.Iterations,
            MinIterations = Math.Min(3, arguments.Iterations),
            Threads = arguments.Threads,
            TimeBudget = arguments.TimeBudget,
            Breakdown = arguments.Breakdown,
            TuneAllocator = !arguments.DefaultAllocator,
            KernelCheck = arguments.KernelCheck,
            Progress = error.WriteLine,
        });
        Write(output, arguments.Markdown, report.ToText(), report.ToMarkdown());
        return Success;
    }

    private static int PerturbationMode(BenchArguments arguments, TextWriter output, TextWriter error)
    {
        var report = PerturbationBench.Run(new PerturbationBenchOptions
        {
            Iterations = Math.Min(arguments.Iterations, 3),
            Threads = arguments.Threads,
            TuneAllocator = !arguments.DefaultAllocator,
            KernelCheck = arguments.KernelCheck,
            Progress = error.WriteLine,
        });
        output.Write(report.ToText());
        return Success;
    }

    private static int KernelCostMode(BenchArguments arguments, TextWriter output, TextWriter error)
    {
        var cost = KernelCost.Run(new KernelCostOptions
        {
            Batches = arguments.Batches ?? new KernelCostOptions().Batches,
            Iterations = arguments.Iterations,
            MinIterations = Math.Min(3, arguments.Iterations),
            Threads = arguments.Threads,
            TimeBudget = arguments.TimeBudget,
            TuneAllocator = !arguments.DefaultAllocator,
            Progress = error.WriteLine,
        });
        Write(output, arguments.Markdown, cost.ToText(), cost.ToMarkdown());
        return Success;
    }

    private static int MemoryMode(BenchArguments arguments, TextWriter output, TextWriter error)
    {
        var memory = MemoryCheck.Run(new MemoryCheckOptions
        {
            Iterations = arguments.MemoryRuns,
            Method = arguments.Method,
            Batch = arguments.Batches?[0] ?? 1,
            WarmRuns = arguments.Warm ?? Math.Min(100, arguments.MemoryRuns / 4),
            Device = arguments.Device,
            Threads = arguments.Threads,
            TuneAllocator = !arguments.DefaultAllocator,
            KernelCheck = arguments.KernelCheck,
            Progress = error.WriteLine,
        });
        Write(output, arguments.Markdown, memory.ToText(), memory.ToMarkdown());
        return memory.IsFlat ? Success : NotFlat;
    }

    private static int BenchmarkDotNetMode(BenchArguments arguments)
    {
        BenchSettings.Threads = arguments.Threads ?? Environment.ProcessorCount;
        BenchSettings.Device = arguments.Device;
        if (!arguments.DefaultAllocator)
        {
            // As the other modes do; tuned or not, floors and methods share the process and its allocator.
            NativeAllocator.TuneForTensors();
        }

        BenchmarkSwitcher.FromAssembly(typeof(BenchProgram).Assembly).Run([.. arguments.BenchmarkDotNetArguments]);
        return Success;
    }

    private static void Write(TextWriter output, string? markdownPath, string text, string markdown)
    {
        output.Write(text);
        if (markdownPath is not null)
        {
            File.WriteAllText(markdownPath, markdown);
        }
    }
}
