using System.Globalization;
using BenchmarkDotNet.Running;
using Saliency.Benchmarking;

namespace Saliency.Benchmarks;

/// <summary>
/// <c>dotnet run -c Release --project bench/Saliency.Benchmarks -- [mode] [options] [BenchmarkDotNet arguments]</c>.
/// Modes: <c>--quick</c> (the interleaved table of <c>saliency bench</c>), <c>--memory [N]</c> (N consecutive
/// explanations, default 2,000), or neither (BenchmarkDotNet; pass e.g. <c>--filter *</c>).
/// Options: <c>--threads N</c>, <c>--device cpu|cuda</c>, <c>--batch 1,8</c>, <c>--iterations N</c>,
/// <c>--budget SECONDS</c> (quick, 0 for none), <c>--breakdown</c> (quick: time the engine's passes too), <c>--method ID</c> and <c>--warm N</c> (memory: the method, and the run from which growth is measured, default 100), <c>--markdown FILE</c> (also write the table as Markdown), <c>--default-allocator</c> (do not tune glibc's allocator for tensors).
/// </summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        var rest = new List<string>();
        string? mode = null, markdown = null, method = null;
        int? memoryRuns = null, iterations = null, warm = null;
        double? budget = null;
        var breakdown = false;
        var defaultAllocator = false;
        IReadOnlyList<int>? batches = null;
        try
        {
            for (var i = 0; i < args.Length; i++)
            {
                switch (args[i])
                {
                    case "--quick":
                        mode = "quick";
                        break;
                    case "--memory":
                        mode = "memory";
                        if (i + 1 < args.Length && int.TryParse(args[i + 1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var runs))
                        {
                            memoryRuns = runs;
                            i++;
                        }

                        break;
                    case "--threads":
                        BenchSettings.Threads = int.Parse(Value(args, ref i), CultureInfo.InvariantCulture);
                        break;
                    case "--device":
                        BenchSettings.Device = Value(args, ref i);
                        break;
                    case "--batch":
                        batches = [.. Value(args, ref i).Split(',').Select(b => int.Parse(b, CultureInfo.InvariantCulture))];
                        break;
                    case "--iterations":
                        iterations = int.Parse(Value(args, ref i), CultureInfo.InvariantCulture);
                        break;
                    case "--budget":
                        budget = double.Parse(Value(args, ref i), CultureInfo.InvariantCulture);
                        break;
                    case "--breakdown":
                        breakdown = true;
                        break;
                    case "--warm":
                        warm = int.Parse(Value(args, ref i), CultureInfo.InvariantCulture);
                        break;
                    case "--method":
                        method = Value(args, ref i);
                        break;
                    case "--markdown":
                        markdown = Value(args, ref i);
                        break;
                    case "--default-allocator":
                        defaultAllocator = true;
                        break;
                    default:
                        rest.Add(args[i]);
                        break;
                }
            }
        }
        catch (Exception e) when (e is FormatException or ArgumentException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 2;
        }

        if (!defaultAllocator)
        {
            // As the saliency command does; tuned or not, floors and methods share the process and its allocator.
            NativeAllocator.TuneForTensors();
        }

        switch (mode)
        {
            case "quick":
                var defaults = new QuickBenchOptions();
                var report = QuickBench.Run(defaults with
                {
                    Device = BenchSettings.Device,
                    Threads = BenchSettings.Threads,
                    Batches = batches ?? defaults.Batches,
                    Iterations = iterations ?? defaults.Iterations,
                    MinIterations = Math.Min(defaults.MinIterations, iterations ?? defaults.Iterations),
                    TimeBudget = budget is null ? defaults.TimeBudget : budget > 0 ? TimeSpan.FromSeconds(budget.Value) : null,
                    Breakdown = breakdown,
                    TuneAllocator = !defaultAllocator,
                    Progress = line => Console.Error.WriteLine(line),
                });
                Console.Write(report.ToText());
                Write(markdown, report.ToMarkdown());
                return 0;
            case "memory":
                var memory = MemoryCheck.Run(new MemoryCheckOptions
                {
                    Iterations = memoryRuns ?? 2000,
                    Device = BenchSettings.Device,
                    Threads = BenchSettings.Threads,
                    Batch = batches?[0] ?? 1,
                    Method = method ?? "grad-cam",
                    WarmRuns = warm ?? new MemoryCheckOptions().WarmRuns,
                    TuneAllocator = !defaultAllocator,
                    Progress = line => Console.Error.WriteLine(line),
                });
                Console.Write(memory.ToText());
                Write(markdown, memory.ToMarkdown());
                return memory.IsFlat ? 0 : 1;
            default:
                BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run([.. rest]);
                return 0;
        }
    }

    private static string Value(string[] args, ref int i)
    {
        if (i + 1 >= args.Length)
        {
            throw new ArgumentException($"{args[i]} needs a value.");
        }

        return args[++i];
    }

    private static void Write(string? path, string text)
    {
        if (path is not null)
        {
            File.WriteAllText(path, text);
        }
    }
}
