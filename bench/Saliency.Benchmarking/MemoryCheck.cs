using System.Diagnostics;
using System.Globalization;
using System.Text;
using TorchSharp;

namespace Saliency.Benchmarking;

/// <summary>What <see cref="MemoryCheck.Run(MemoryCheckOptions)"/> does.</summary>
public sealed record MemoryCheckOptions
{
    /// <summary>Consecutive explanations. Default 2,000.</summary>
    public int Iterations { get; init; } = 2000;

    /// <summary>The method. Default <c>grad-cam</c>.</summary>
    public string Method { get; init; } = "grad-cam";

    /// <summary>The batch size. Default 1.</summary>
    public int Batch { get; init; } = 1;

    /// <summary>
    /// Runs after which the process counts as warm: RSS growth and slope are measured from there on (allocator
    /// pools, JIT and libtorch's caches fill during the first runs). Default 100.
    /// </summary>
    public int WarmRuns { get; init; } = 100;

    /// <summary>Runs between two RSS samples. Default 20.</summary>
    public int SampleEvery { get; init; } = 20;

    /// <summary>The device. Default <c>cpu</c>.</summary>
    public string Device { get; init; } = "cpu";

    /// <summary>libtorch's intra-op threads; <see langword="null"/> means one per logical core.</summary>
    public int? Threads { get; init; }

    /// <summary>Input height and width. Default 224.</summary>
    public int ImageSize { get; init; } = 224;

    /// <summary>Plugin directories besides the default <c>plugins</c> folder.</summary>
    public IReadOnlyList<string> PluginDirectories { get; init; } = [];

    /// <summary>The kernel check before measuring (<see cref="KernelGuard"/>); default <see cref="KernelCheckMode.Auto"/>, as users run.</summary>
    public KernelCheckMode KernelCheck { get; init; } = KernelCheckMode.Auto;

    /// <summary>
    /// Whether to tune glibc's allocator for tensors first (<see cref="NativeAllocator.TuneForTensors"/>), as the
    /// <c>saliency</c> command does. It changes the whole process, floors included, and cannot be undone. Default true.
    /// </summary>
    public bool TuneAllocator { get; init; } = true;

    /// <summary>Receives a line now and then (every 10% of the runs).</summary>
    public Action<string>? Progress { get; init; }
}

/// <summary>
/// The memory check: many consecutive explanations by one host of one model, with the process's RSS sampled as it
/// goes and TorchSharp's live tensor count (on this thread) read before the first and after the last.
/// Memory is flat when RSS grows by less than 1% from the warm start and no tensor is left alive.
/// </summary>
public static class MemoryCheck
{
    /// <summary>The largest RSS growth from the warm start that counts as flat, in percent.</summary>
    public const double FlatGrowthPercent = 1.0;

    /// <summary>Runs <paramref name="iterations"/> Grad-CAM explanations at batch 1 on the CPU.</summary>
    /// <param name="iterations">How many.</param>
    /// <returns>The report.</returns>
    public static MemoryReport Run(int iterations) => Run(new MemoryCheckOptions { Iterations = iterations });

    /// <summary>Runs the check.</summary>
    /// <param name="options">What to run.</param>
    /// <returns>The report.</returns>
    /// <exception cref="ArgumentException">An option is out of range, or the device is not available.</exception>
    public static MemoryReport Run(MemoryCheckOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Iterations, 2);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.SampleEvery, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(options.WarmRuns);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(options.WarmRuns, options.Iterations);
        var progress = options.Progress ?? (_ => { });
        var loadBefore = LoadAverage.Read();
        var clock = Stopwatch.StartNew();

        var (device, deviceName) = BenchProcess.Prepare(options.TuneAllocator, options.Threads, options.Device, options.KernelCheck);
        using var model = BenchModel.Create(device, options.ImageSize);
        using var runner = MethodRunner.Create(deviceName, options.PluginDirectories, options.KernelCheck);
        runner.EnsureLoaded([options.Method]);
        var input = model.Input(options.Batch);

        var liveBefore = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        var samples = new List<MemorySample> { Sample(0) };
        var times = new List<double>(options.Iterations);
        var step = Math.Max(1, options.Iterations / 10);
        for (var run = 1; run <= options.Iterations; run++)
        {
            var start = Stopwatch.GetTimestamp();
            runner.Run(model.Explainable, input, options.Method);
            times.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            if (run == options.WarmRuns || run == options.Iterations)
            {
                samples.Add(SettledSample(run));
            }
            else if (run % options.SampleEvery == 0 || run == options.Iterations / 2)
            {
                samples.Add(Sample(run));
            }

            if (run % step == 0)
            {
                progress(string.Create(CultureInfo.InvariantCulture, $"{run}/{options.Iterations} runs, RSS {samples[^1].RssMb:0.0} MB, {clock.Elapsed.TotalSeconds:0} s"));
            }
        }

        var liveAfter = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        return new MemoryReport(
            options.Method,
            options.Batch,
            options.Iterations,
            options.WarmRuns,
            samples,
            liveBefore,
            liveAfter,
            SampleStatistics.Median(times),
            clock.Elapsed,
            BenchEnvironment.Capture(deviceName),
            loadBefore,
            LoadAverage.Read());
    }

    private static MemorySample Sample(int runs)
    {
        var heap = NativeHeap.Read();
        return new(
            runs,
            Megabytes(ProcessMemory.ResidentBytes()),
            Megabytes(GC.GetGCMemoryInfo().TotalCommittedBytes),
            heap is { } h ? Megabytes(h.InUseBytes) : null,
            heap is { } f ? Megabytes(f.FreeBytes) : null);
    }

    /// <summary>
    /// A sample after a full blocking collection with finalisers run, in aggressive mode (the GC gives its free memory
    /// back to the system): what the process retains, without the garbage and spare regions the GC keeps between
    /// collections. Without it the warm start, taken before the first gen-0 collection of a run
    /// that allocates little managed memory, misses the GC heap's working size (about 20 MB here) and the
    /// growth counts the GC heap filling up as if it were a leak.
    /// </summary>
    private static MemorySample SettledSample(int runs)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        return Sample(runs);
    }

    private static double Megabytes(long bytes) => bytes / (1024.0 * 1024.0);
}

/// <summary>
/// One sample of the memory check. The samples at the warm start and after the last run are taken after a full
/// blocking collection with finalisers run; the others as the process runs.
/// </summary>
/// <param name="Runs">Explanations done when it was taken.</param>
/// <param name="RssMb">The process's resident set size, in MB.</param>
/// <param name="ManagedHeapMb">Memory the .NET GC has committed (<c>GCMemoryInfo.TotalCommittedBytes</c>, as of the last collection), in MB: its share of the RSS.</param>
/// <param name="NativeInUseMb">Bytes the C allocator has handed out and not had back (tensors, libtorch's own), in MB; <see langword="null"/> where unknown.</param>
/// <param name="NativeFreeMb">Free bytes the C allocator keeps in its heaps, in MB; <see langword="null"/> where unknown.</param>
public readonly record struct MemorySample(int Runs, double RssMb, double ManagedHeapMb, double? NativeInUseMb = null, double? NativeFreeMb = null);

/// <summary>The result of <see cref="MemoryCheck.Run(MemoryCheckOptions)"/>.</summary>
public sealed class MemoryReport
{
    /// <summary>Creates the report from its measurements.</summary>
    /// <param name="method">The method run.</param>
    /// <param name="batch">The batch size.</param>
    /// <param name="iterations">How many explanations ran.</param>
    /// <param name="warmRuns">The run from which the process counts as warm.</param>
    /// <param name="samples">Memory after so many runs; the first is before any run.</param>
    /// <param name="liveTensorsBefore">TorchSharp's live tensors on the thread before the first run.</param>
    /// <param name="liveTensorsAfter">The same after the last run.</param>
    /// <param name="medianMsPerRun">The median time of one explanation.</param>
    /// <param name="elapsed">Wall time of the check.</param>
    /// <param name="environment">The machine and software.</param>
    /// <param name="loadBefore">The load averages before.</param>
    /// <param name="loadAfter">The load averages after.</param>
    /// <exception cref="ArgumentException">Fewer than two samples at or after the warm run.</exception>
    public MemoryReport(
        string method,
        int batch,
        int iterations,
        int warmRuns,
        IReadOnlyList<MemorySample> samples,
        long liveTensorsBefore,
        long liveTensorsAfter,
        double medianMsPerRun,
        TimeSpan elapsed,
        BenchEnvironment environment,
        LoadAverage? loadBefore,
        LoadAverage? loadAfter)
    {
        ArgumentNullException.ThrowIfNull(samples);
        var warm = samples.Where(s => s.Runs >= warmRuns).ToList();
        if (warm.Count < 2 || samples.Count == 0)
        {
            throw new ArgumentException($"Need at least two RSS samples from run {warmRuns} on; got {warm.Count}.", nameof(samples));
        }

        Method = method;
        Batch = batch;
        Iterations = iterations;
        WarmSample = warm[0];
        WarmRuns = WarmSample.Runs;
        Samples = samples;
        LiveTensorsBefore = liveTensorsBefore;
        LiveTensorsAfter = liveTensorsAfter;
        MedianMsPerRun = medianMsPerRun;
        Elapsed = elapsed;
        Environment = environment;
        LoadBefore = loadBefore;
        LoadAfter = loadAfter;
        RssStartMb = samples[0].RssMb;
        RssWarmMb = WarmSample.RssMb;
        RssEndMb = samples[^1].RssMb;
        RssPeakMb = samples.Max(s => s.RssMb);
        GrowthPercent = 100 * (RssEndMb - RssWarmMb) / RssWarmMb;
        SlopeMbPer1000Runs = Slope(warm);
        var half = samples.Where(s => s.Runs >= iterations / 2).ToList();
        if (half.Count >= 2)
        {
            SecondHalfGrowthPercent = 100 * (half[^1].RssMb - half[0].RssMb) / half[0].RssMb;
            SecondHalfSlopeMbPer1000Runs = Slope(half);
        }
    }

    /// <summary>The method run.</summary>
    public string Method { get; }

    /// <summary>The batch size.</summary>
    public int Batch { get; }

    /// <summary>How many explanations ran.</summary>
    public int Iterations { get; }

    /// <summary>The run of the first warm sample.</summary>
    public int WarmRuns { get; }

    /// <summary>Memory after so many runs.</summary>
    public IReadOnlyList<MemorySample> Samples { get; }

    /// <summary>The sample at the warm start, from which growth is measured.</summary>
    public MemorySample WarmSample { get; }

    /// <summary>TorchSharp's live tensors on the thread before the first run (the model's parameters, the input…).</summary>
    public long LiveTensorsBefore { get; }

    /// <summary>TorchSharp's live tensors on the thread after the last run.</summary>
    public long LiveTensorsAfter { get; }

    /// <summary>Tensors the runs left alive: after minus before. Zero when nothing leaks.</summary>
    public long LiveTensorsLeft => LiveTensorsAfter - LiveTensorsBefore;

    /// <summary>RSS before the first run, in MB.</summary>
    public double RssStartMb { get; }

    /// <summary>RSS at the warm start, in MB.</summary>
    public double RssWarmMb { get; }

    /// <summary>RSS after the last run, in MB.</summary>
    public double RssEndMb { get; }

    /// <summary>The largest RSS sampled, in MB.</summary>
    public double RssPeakMb { get; }

    /// <summary>RSS growth from the warm start to the end, in percent of the warm RSS.</summary>
    public double GrowthPercent { get; }

    /// <summary>The least-squares slope of RSS over the warm samples, in MB per 1,000 runs.</summary>
    public double SlopeMbPer1000Runs { get; }

    /// <summary>
    /// RSS growth over the second half of the runs, in percent: tells a process that settles (allocator arenas and
    /// the GC heap reaching their working size) from one that leaks at a steady rate.
    /// </summary>
    public double? SecondHalfGrowthPercent { get; }

    /// <summary>The least-squares slope of RSS over the second half of the runs, in MB per 1,000 runs.</summary>
    public double? SecondHalfSlopeMbPer1000Runs { get; }

    /// <summary>The median time of one explanation, in ms.</summary>
    public double MedianMsPerRun { get; }

    /// <summary>Wall time of the check.</summary>
    public TimeSpan Elapsed { get; }

    /// <summary>The machine and software.</summary>
    public BenchEnvironment Environment { get; }

    /// <summary>The load averages before.</summary>
    public LoadAverage? LoadBefore { get; }

    /// <summary>The load averages after.</summary>
    public LoadAverage? LoadAfter { get; }

    /// <summary>
    /// How much the bytes in use by the C allocator (tensors and everything else malloc'd) grew from the warm start to
    /// the end, in MB, both after a full GC; <see langword="null"/> where the allocator cannot tell. RSS can grow while
    /// this stays flat: that is the allocator keeping freed memory, not a leak.
    /// </summary>
    public double? NativeInUseGrowthMb =>
        WarmSample.NativeInUseMb is { } warm && Samples[^1].NativeInUseMb is { } end ? end - warm : null;

    /// <summary>
    /// Whether something leaked: a tensor left alive, or malloc'd memory in use grown by more than
    /// <see cref="MemoryCheck.FlatGrowthPercent"/> of the warm RSS.
    /// </summary>
    public bool Leaks => LiveTensorsLeft != 0 || NativeInUseGrowthMb > RssWarmMb * MemoryCheck.FlatGrowthPercent / 100;

    /// <summary>Whether memory stayed flat: growth under <see cref="MemoryCheck.FlatGrowthPercent"/> and no tensor left alive.</summary>
    public bool IsFlat => GrowthPercent < MemoryCheck.FlatGrowthPercent && LiveTensorsLeft == 0;

    /// <summary>A Markdown table of the result.</summary>
    /// <returns>The Markdown.</returns>
    public string ToMarkdown()
    {
        var text = new StringBuilder();
        text.AppendLine("| measure | value |");
        text.AppendLine("|---|---:|");
        foreach (var (name, value) in Lines())
        {
            text.Append("| ").Append(name).Append(" | ").Append(value).AppendLine(" |");
        }

        return text.ToString();
    }

    /// <summary>The result as aligned text.</summary>
    /// <returns>The text.</returns>
    public string ToText()
    {
        var text = new StringBuilder();
        FactList.AppendAligned(text, Lines());

        return text.ToString();
    }

    private static double Slope(List<MemorySample> samples) =>
        1000 * SampleStatistics.Slope([.. samples.Select(s => (double)s.Runs)], [.. samples.Select(s => s.RssMb)]);

    private IEnumerable<(string Name, string Value)> Lines()
    {
        var c = CultureInfo.InvariantCulture;
        yield return ("runs", string.Create(c, $"{Iterations} × {Method}, batch {Batch}, {SampleStatistics.FormatMilliseconds(MedianMsPerRun)} ms median, {Elapsed.TotalSeconds:0} s"));
        yield return ("kernels", Environment.Kernels);
        yield return ("RSS before the first run", string.Create(c, $"{RssStartMb:0.0} MB"));
        yield return ($"RSS after {WarmRuns} runs (warm start, full GC)", string.Create(c, $"{RssWarmMb:0.0} MB"));
        yield return ($"RSS after {Iterations} runs (full GC)", string.Create(c, $"{RssEndMb:0.0} MB (peak {RssPeakMb:0.0} MB)"));
        yield return ("RSS growth from the warm start", string.Create(c, $"{GrowthPercent:+0.00;-0.00;0.00}% (flat: < {MemoryCheck.FlatGrowthPercent:0}%)"));
        yield return ("RSS slope (least squares, warm samples)", string.Create(c, $"{SlopeMbPer1000Runs:+0.00;-0.00;0.00} MB per 1,000 runs"));
        if (SecondHalfGrowthPercent is { } lateGrowth && SecondHalfSlopeMbPer1000Runs is { } lateSlope)
        {
            yield return ($"RSS over the second half (runs {Iterations / 2}–{Iterations})", string.Create(c, $"{lateGrowth:+0.00;-0.00;0.00}%, slope {lateSlope:+0.00;-0.00;0.00} MB per 1,000 runs"));
        }

        var warm = WarmSample;
        var end = Samples[^1];
        yield return (".NET GC committed, warm start → end", string.Create(c, $"{warm.ManagedHeapMb:0.0} → {end.ManagedHeapMb:0.0} MB"));
        if (warm.NativeInUseMb is { } inUse && end.NativeInUseMb is { } inUseEnd && warm.NativeFreeMb is { } free && end.NativeFreeMb is { } freeEnd)
        {
            yield return ("malloc in use, warm start → end", string.Create(c, $"{inUse:0.0} → {inUseEnd:0.0} MB"));
            yield return ("malloc free (kept for reuse), warm start → end", string.Create(c, $"{free:0.0} → {freeEnd:0.0} MB"));
        }

        yield return ("live tensors before → after", string.Create(c, $"{LiveTensorsBefore} → {LiveTensorsAfter} ({LiveTensorsLeft:+0;-0;0} left)"));
        yield return ("verdict", IsFlat ? "flat" : "NOT FLAT");
        yield return ("leak", Leaks ? "YES: tensors left alive or malloc'd memory in use grew" : NativeInUseGrowthMb is null ? "no tensor left (malloc not inspectable here)" : "none: no tensor left, malloc'd memory in use did not grow");
        foreach (var fact in Environment.Facts())
        {
            yield return fact;
        }

        yield return ("load average", $"before {LoadBefore?.ToString() ?? "unknown"}, after {LoadAfter?.ToString() ?? "unknown"}");
    }
}
