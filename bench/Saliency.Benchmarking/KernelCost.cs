using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Saliency.Benchmarking;

/// <summary>What <see cref="KernelCost.Run"/> measures.</summary>
public sealed record KernelCostOptions
{
    /// <summary>The batch sizes. Default 1 and 8.</summary>
    public IReadOnlyList<int> Batches { get; init; } = [1, 8];

    /// <summary>The most measured rounds; each times every case once in each state. Default 6.</summary>
    public int Iterations { get; init; } = 6;

    /// <summary>The fewest measured rounds, even when <see cref="TimeBudget"/> is spent. Default 3.</summary>
    public int MinIterations { get; init; } = 3;

    /// <summary>No round starts that would end after this time (judging by the last round); default 60 s.</summary>
    public TimeSpan? TimeBudget { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>libtorch's intra-op threads; <see langword="null"/> means one per logical core.</summary>
    public int? Threads { get; init; }

    /// <summary>Whether to tune glibc's allocator for tensors first, as the <c>saliency</c> command does. Default true.</summary>
    public bool TuneAllocator { get; init; } = true;

    /// <summary>Receives one line per stage, for example to print on stderr.</summary>
    public Action<string>? Progress { get; init; }
}

/// <summary>
/// What the kernel guard's route costs: every built-in method and the plain forward on resnet18 (CPU), timed with
/// oneDNN on and with it off (libtorch's own convolution kernels, NNPACK off too — the route the guard takes) in the
/// same rounds, alternating which state goes first. On a machine whose oneDNN kernels are broken the "on" numbers
/// are wrong; only their time is used. The switches are restored afterwards.
/// </summary>
public static class KernelCost
{
    /// <summary>Measures.</summary>
    /// <param name="options">Batches, rounds, threads; defaults when <see langword="null"/>.</param>
    /// <returns>One row per case and batch.</returns>
    /// <exception cref="InvalidOperationException">This libtorch has no oneDNN switch, or a built-in method is not loaded.</exception>
    public static KernelCostReport Run(KernelCostOptions? options = null)
    {
        options ??= new KernelCostOptions();
        var progress = options.Progress ?? (_ => { });
        var clock = Stopwatch.StartNew();
        var (device, deviceName) = BenchProcess.Prepare(options.TuneAllocator, options.Threads, "cpu", KernelCheckMode.Auto);
        var (oneDnnBefore, nnpackBefore) = (LibTorchNative.IsOneDnnEnabled, LibTorchNative.IsNnpackEnabled);
        if (oneDnnBefore is null || LibTorchNative.HasOneDnn != true)
        {
            throw new InvalidOperationException("This libtorch has no oneDNN switch to measure.");
        }

        using var model = BenchModel.Create(device);
        using var runner = MethodRunner.Create(deviceName, kernelCheck: KernelCheckMode.Off);
        var methods = BenchCase.Methods.Select(m => m.Id).ToList();
        runner.EnsureLoaded(methods);
        var floors = FloorPasses.For(model);
        string[] cases = ["forward", .. methods];
        var on = new Dictionary<(string, int), List<double>>();
        var off = new Dictionary<(string, int), List<double>>();

        double Time(string @case, int batch, bool oneDnn)
        {
            LibTorchNative.SetConvolutionBackends(oneDnn, nnpack: oneDnn && nnpackBefore != false);
            var input = model.Input(batch);
            var start = Stopwatch.GetTimestamp();
            if (@case == "forward")
            {
                floors.Run(BenchCase.Forward, input);
            }
            else
            {
                runner.Run(model.Explainable, input, @case);
            }

            return Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }

        try
        {
            progress("warming up (each case once in each state)");
            foreach (var batch in options.Batches)
            {
                foreach (var @case in cases)
                {
                    Time(@case, batch, true);
                    Time(@case, batch, false);
                }
            }

            var rounds = 0;
            var lastRound = TimeSpan.Zero;
            while (rounds < options.Iterations
                   && !(rounds >= options.MinIterations && options.TimeBudget is { } budget && clock.Elapsed + lastRound > budget))
            {
                var roundStart = clock.Elapsed;
                GC.Collect();
                GC.WaitForPendingFinalizers();
                foreach (var batch in options.Batches)
                {
                    foreach (var @case in cases)
                    {
                        // Alternate which state goes first, so that neither always runs on a warmer cache.
                        var first = rounds % 2 == 0;
                        Add(first ? on : off, (@case, batch), Time(@case, batch, first));
                        Add(first ? off : on, (@case, batch), Time(@case, batch, !first));
                    }
                }

                rounds++;
                lastRound = clock.Elapsed - roundStart;
                progress(string.Create(CultureInfo.InvariantCulture, $"round {rounds}/{options.Iterations} done at {clock.Elapsed.TotalSeconds:0.0} s"));
            }

            var rows = options.Batches.SelectMany(batch => cases.Select(@case => new KernelCostRow(@case, batch, on[(@case, batch)], off[(@case, batch)]))).ToList();
            Restore();
            return new KernelCostReport(BenchEnvironment.Capture(deviceName), rows, rounds, clock.Elapsed);
        }
        finally
        {
            Restore();
        }

        void Restore() => LibTorchNative.SetConvolutionBackends(oneDnnBefore.Value, nnpackBefore ?? true);
    }

    private static void Add(Dictionary<(string, int), List<double>> samples, (string, int) key, double value)
    {
        if (!samples.TryGetValue(key, out var list))
        {
            samples[key] = list = [];
        }

        list.Add(value);
    }
}

/// <summary>One case at one batch size, timed with oneDNN on and off in the same rounds.</summary>
/// <param name="Case">The method id, or <c>forward</c> (the plain forward under <c>no_grad</c>).</param>
/// <param name="Batch">The batch size.</param>
/// <param name="OnMs">Milliseconds per run with oneDNN on, one sample per round.</param>
/// <param name="OffMs">Milliseconds per run with oneDNN off, from the same rounds.</param>
public sealed record KernelCostRow(string Case, int Batch, IReadOnlyList<double> OnMs, IReadOnlyList<double> OffMs)
{
    /// <summary>Median with oneDNN on.</summary>
    public double OnMedianMs => SampleStatistics.Median(OnMs);

    /// <summary>Median with oneDNN off.</summary>
    public double OffMedianMs => SampleStatistics.Median(OffMs);

    /// <summary>What the route costs: off / on, ratio of the medians.</summary>
    public double Ratio => OffMedianMs / OnMedianMs;

    /// <summary>The per-round ratios (off / on of the same round).</summary>
    public IReadOnlyList<double> RoundRatios => [.. OffMs.Zip(OnMs, (off, on) => off / on)];

    /// <summary>Lower quartile of <see cref="RoundRatios"/>.</summary>
    public double RoundRatioLowerQuartile => SampleStatistics.Quantile(RoundRatios, 0.25);

    /// <summary>Upper quartile of <see cref="RoundRatios"/>.</summary>
    public double RoundRatioUpperQuartile => SampleStatistics.Quantile(RoundRatios, 0.75);
}

/// <summary>The result of <see cref="KernelCost.Run"/>.</summary>
/// <param name="Environment">The machine and software.</param>
/// <param name="Rows">One row per case and batch.</param>
/// <param name="Rounds">Measured rounds.</param>
/// <param name="Elapsed">Wall time of the whole run.</param>
public sealed record KernelCostReport(BenchEnvironment Environment, IReadOnlyList<KernelCostRow> Rows, int Rounds, TimeSpan Elapsed)
{
    /// <summary>A Markdown table followed by the environment.</summary>
    /// <returns>The Markdown.</returns>
    public string ToMarkdown()
    {
        var text = new StringBuilder();
        text.AppendLine("| case | B | oneDNN on, ms | oneDNN off, ms | off / on | per-round (IQR) |");
        text.AppendLine("|---|---|---|---|---|---|");
        foreach (var row in Rows)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"| {row.Case} | {row.Batch} | {SampleStatistics.FormatMilliseconds(row.OnMedianMs)} | {SampleStatistics.FormatMilliseconds(row.OffMedianMs)} | {SampleStatistics.FormatRatio(row.Ratio)} | {SampleStatistics.FormatRatio(row.RoundRatioLowerQuartile)}–{SampleStatistics.FormatRatio(row.RoundRatioUpperQuartile)} |");
        }

        text.AppendLine();
        FactList.AppendMarkdown(text, Facts());

        return text.ToString();
    }

    /// <summary>An aligned text table followed by the environment.</summary>
    /// <returns>The text.</returns>
    public string ToText()
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"{"case",-16} {"B",3} {"oneDNN on",10} {"off",10} {"off/on",7}  per-round IQR");
        foreach (var row in Rows)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"{row.Case,-16} {row.Batch,3} {SampleStatistics.FormatMilliseconds(row.OnMedianMs),10} {SampleStatistics.FormatMilliseconds(row.OffMedianMs),10} {SampleStatistics.FormatRatio(row.Ratio),7}  {SampleStatistics.FormatRatio(row.RoundRatioLowerQuartile)}–{SampleStatistics.FormatRatio(row.RoundRatioUpperQuartile)}");
        }

        text.AppendLine();
        FactList.AppendAligned(text, Facts());

        return text.ToString();
    }

    private IEnumerable<(string Name, string Value)> Facts()
    {
        yield return ("measured", string.Create(CultureInfo.InvariantCulture, $"resnet18, 224×224, {Rounds} rounds, each case with oneDNN on and off in the same round, {Elapsed.TotalSeconds:0} s"));
        yield return ("kernels", Environment.Kernels);
        foreach (var fact in Environment.Facts())
        {
            yield return fact;
        }
    }
}
