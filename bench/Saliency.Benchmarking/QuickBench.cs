using System.Diagnostics;
using System.Globalization;
using static TorchSharp.torch;

namespace Saliency.Benchmarking;

/// <summary>
/// The quick benchmark, saliency-bench's default mode: every floor and method at every batch size, in interleaved
/// rounds, reported as medians with each method's ratio to its floor. Under a minute on a 2-core CPU.
/// </summary>
/// <remarks>
/// <para>Each round times every case once. A floor runs next to the cases compared with it; the groups run in a
/// rotated order and the cases within a group in a rotated order too, so that neither drift nor position favours one
/// case. Besides the ratio of medians, the report gives the quartiles of the per-round ratios, which compare cases
/// run a moment apart and so survive a machine whose load changes. Every run is timed in wall-clock and in process
/// CPU time.</para>
/// <para>Run it from an executable that supplies TorchSharp's native backend and deploys the plugins
/// (<c>UsesTorchNative</c> and <c>DeploySaliencyPlugins</c> in this repository).</para>
/// </remarks>
/// <example>
/// <code>
/// var report = QuickBench.Run(new QuickBenchOptions { Device = "cpu", Batches = [1, 8], Threads = 2 });
/// Console.Write(report.ToText());
/// </code>
/// </example>
public static class QuickBench
{
    /// <summary>Runs the benchmark.</summary>
    /// <param name="options">What to measure; defaults when <see langword="null"/>.</param>
    /// <returns>The report.</returns>
    /// <exception cref="ArgumentException">An option is out of range, or the device is not available.</exception>
    /// <exception cref="InvalidOperationException">A method's plugin is not loaded.</exception>
    public static QuickBenchReport Run(QuickBenchOptions? options = null)
    {
        options ??= new QuickBenchOptions();
        options.Validate();
        var clock = Stopwatch.StartNew();
        var loadBefore = LoadAverage.Read();
        var progress = options.Progress ?? (_ => { });

        var (device, deviceName) = BenchProcess.Prepare(options.TuneAllocator, options.Threads, options.Device, options.KernelCheck);

        using var model = BenchModel.Create(device, options.ImageSize);
        using var runner = MethodRunner.Create(deviceName, options.PluginDirectories, options.KernelCheck);
        runner.EnsureLoaded(options.Methods);
        var floors = FloorPasses.For(model);
        var groups = Groups(options);
        var wall = new Dictionary<(string Case, int Batch), List<double>>();
        var cpu = new Dictionary<(string Case, int Batch), List<double>>();

        (double Wall, double Cpu) Time(BenchCase @case, int batch)
        {
            var input = model.Input(batch);
            var cpuStart = Environment.CpuUsage.TotalTime;
            var start = Stopwatch.GetTimestamp();
            if (@case.IsFloor)
            {
                floors.Run(@case, input);
            }
            else if (EngineStages.IsStage(@case))
            {
                EngineStages.Run(@case, model.Explainable, input);
                model.Synchronize();
            }
            else
            {
                runner.Run(model.Explainable, input, @case.Id);
            }

            var elapsed = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            return (elapsed, (Environment.CpuUsage.TotalTime - cpuStart).TotalMilliseconds);
        }

        progress(string.Create(CultureInfo.InvariantCulture, $"set-up {clock.Elapsed.TotalSeconds:0.0} s; warming up ({options.Warmup} run(s) of every case)"));
        foreach (var batch in options.Batches)
        {
            for (var i = 0; i < options.Warmup; i++)
            {
                foreach (var @case in groups.SelectMany(g => g.Cases))
                {
                    Time(@case, batch);
                }
            }
        }

        var rounds = 0;
        var lastRound = TimeSpan.Zero;
        while (rounds < options.Iterations)
        {
            // Start no round that would end past the budget, judging by the last one.
            if (rounds >= options.MinIterations && options.TimeBudget is { } budget && clock.Elapsed + lastRound > budget)
            {
                break;
            }

            var roundStart = clock.Elapsed;

            // Settle the managed heap outside the timed region, so that no round pays for another's garbage.
            GC.Collect();
            GC.WaitForPendingFinalizers();
            foreach (var batch in options.Batches)
            {
                for (var g = 0; g < groups.Count; g++)
                {
                    var cases = groups[(g + rounds) % groups.Count].Cases;
                    for (var c = 0; c < cases.Count; c++)
                    {
                        var @case = cases[(c + rounds + g) % cases.Count];
                        var (wallMs, cpuMs) = Time(@case, batch);
                        Add(wall, (@case.Id, batch), wallMs);
                        Add(cpu, (@case.Id, batch), cpuMs);
                    }
                }
            }

            rounds++;
            lastRound = clock.Elapsed - roundStart;
            progress(string.Create(CultureInfo.InvariantCulture, $"round {rounds}/{options.Iterations} done at {clock.Elapsed.TotalSeconds:0.0} s"));
        }

        var environment = BenchEnvironment.Capture(deviceName);
        return new QuickBenchReport(environment, Rows(options.Batches, groups, wall), rounds, clock.Elapsed, loadBefore, LoadAverage.Read(), options.ImageSize)
        {
            CpuRows = Rows(options.Batches, groups, cpu),
        };
    }

    /// <summary>Each floor with the cases compared with it: its methods and, with a breakdown, the engine stages.</summary>
    private static List<CaseGroup> Groups(QuickBenchOptions options)
    {
        var methods = options.Methods.Select(BenchCase.ForMethod).ToList();
        var groups = new List<CaseGroup>();
        foreach (var floor in BenchCase.Floors)
        {
            var subjects = methods.Where(m => m.Floor == floor.Id).ToList();
            if (subjects.Count == 0)
            {
                continue;
            }

            if (options.Breakdown)
            {
                subjects.InsertRange(0, EngineStages.Cases.Where(s => s.Floor == floor.Id));
            }

            groups.Add(new CaseGroup([floor, .. subjects]));
        }

        return groups;
    }

    private static void Add(Dictionary<(string Case, int Batch), List<double>> samples, (string Case, int Batch) key, double value)
    {
        if (!samples.TryGetValue(key, out var list))
        {
            samples[key] = list = [];
        }

        list.Add(value);
    }

    private static List<BenchRow> Rows(IReadOnlyList<int> batches, List<CaseGroup> groups, Dictionary<(string Case, int Batch), List<double>> samples)
    {
        var rows = new List<BenchRow>();
        foreach (var batch in batches)
        {
            foreach (var group in groups)
            {
                rows.Add(new BenchRow(group.Cases[0], batch, samples[(group.Cases[0].Id, batch)]));
            }

            foreach (var group in groups)
            {
                foreach (var @case in group.Cases.Skip(1))
                {
                    rows.Add(new BenchRow(@case, batch, samples[(@case.Id, batch)], samples[(group.Cases[0].Id, batch)]));
                }
            }
        }

        return rows;
    }

    /// <summary>A floor (first) and the cases measured against it.</summary>
    private sealed record CaseGroup(IReadOnlyList<BenchCase> Cases);
}

/// <summary>
/// The engine's passes without the plugin, the host or the method's arithmetic: <see cref="SaliencyEngine"/>'s
/// capture and input gradients. Between a floor and a method, they show where the extra time goes.
/// </summary>
internal static class EngineStages
{
    public static readonly BenchCase Activations = new("engine:activations", "SaliencyEngine.Capture, no gradient", BenchCase.Forward.Id);
    public static readonly BenchCase LayerGradients = new("engine:layer-grad", "SaliencyEngine.Capture with gradients", BenchCase.LayerGradient.Id);
    public static readonly BenchCase InputGradients = new("engine:input-grad", "SaliencyEngine.InputGradients, plain", BenchCase.InputGradient.Id);
    public static readonly BenchCase GuidedGradients = new("engine:guided-grad", "SaliencyEngine.InputGradients, guided", BenchCase.InputGradient.Id);

    public static IReadOnlyList<BenchCase> Cases { get; } = [Activations, LayerGradients, InputGradients, GuidedGradients];

    public static bool IsStage(BenchCase @case) => @case.Id.StartsWith("engine:", StringComparison.Ordinal);

    public static void Run(BenchCase stage, IExplainable model, Tensor input)
    {
        switch (stage.Id)
        {
            case "engine:activations":
                SaliencyEngine.Capture(model, input, BenchModel.Layer, gradients: false).Dispose();
                break;
            case "engine:layer-grad":
                SaliencyEngine.Capture(model, input, BenchModel.Layer, gradients: true).Dispose();
                break;
            case "engine:input-grad":
                SaliencyEngine.InputGradients(model, input, mode: GradientMode.Plain).Dispose();
                break;
            case "engine:guided-grad":
                SaliencyEngine.InputGradients(model, input, mode: GradientMode.Guided).Dispose();
                break;
            default:
                throw new ArgumentException($"'{stage.Id}' is not an engine stage.", nameof(stage));
        }
    }
}
