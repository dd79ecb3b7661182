using System.Diagnostics;
using System.Globalization;
using TorchSharp;

namespace Saliency.Benchmarking;

/// <summary>
/// The quick benchmark behind <c>saliency bench</c>: every floor and method at every batch size, in interleaved
/// rounds, reported as medians with each method's ratio to its floor. Under a minute on a 2-core CPU.
/// </summary>
/// <remarks>
/// <para>Each round times every case once. Cases run in pairs (a floor next to its method), the pairs in a rotated
/// order and, within a pair, the floor first in every other round, so that neither drift nor position favours one
/// case. Besides the ratio of medians, the report gives the quartiles of the per-round ratios, which compare two
/// cases run seconds apart and so survive a machine whose load changes.</para>
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

        TorchRuntime.EnsureInitialized();
        torch.set_num_threads(options.Threads ?? Environment.ProcessorCount);
        var device = DeviceSelector.Parse(options.Device);
        var deviceName = device.type == DeviceType.CUDA ? $"cuda:{device.index}" : "cpu";

        using var model = BenchModel.Create(device, options.ImageSize);
        using var runner = MethodRunner.Create(deviceName, options.PluginDirectories);
        runner.EnsureLoaded(options.Methods);
        var floors = FloorPasses.For(model);
        var pairs = options.Methods.Select(BenchCase.ForMethod).Select(m => (Floor: BenchCase.ForFloor(m.Floor!), Method: m)).ToList();
        var samples = new Dictionary<(string Case, int Batch), List<double>>();

        double Time(BenchCase @case, int batch)
        {
            var input = model.Input(batch);
            var start = Stopwatch.GetTimestamp();
            if (@case.IsFloor)
            {
                floors.Run(@case, input);
            }
            else
            {
                runner.Run(model.Explainable, input, @case.Id);
            }

            return Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }

        progress(string.Create(CultureInfo.InvariantCulture, $"set-up {clock.Elapsed.TotalSeconds:0.0} s; warming up ({options.Warmup} run(s) of every case)"));
        foreach (var batch in options.Batches)
        {
            for (var i = 0; i < options.Warmup; i++)
            {
                foreach (var (floor, method) in pairs)
                {
                    Time(floor, batch);
                    Time(method, batch);
                }
            }
        }

        var rounds = 0;
        while (rounds < options.Iterations)
        {
            if (rounds >= options.MinIterations && options.TimeBudget is { } budget && clock.Elapsed > budget)
            {
                break;
            }

            // Settle the managed heap outside the timed region, so that no round pays for another's garbage.
            GC.Collect();
            GC.WaitForPendingFinalizers();
            foreach (var batch in options.Batches)
            {
                for (var p = 0; p < pairs.Count; p++)
                {
                    var (floor, method) = pairs[(p + rounds) % pairs.Count];
                    var order = (rounds + p) % 2 == 0 ? new[] { floor, method } : [method, floor];
                    foreach (var @case in order)
                    {
                        var key = (@case.Id, batch);
                        if (!samples.TryGetValue(key, out var list))
                        {
                            samples[key] = list = [];
                        }

                        list.Add(Time(@case, batch));
                    }
                }
            }

            rounds++;
            progress(string.Create(CultureInfo.InvariantCulture, $"round {rounds}/{options.Iterations} done at {clock.Elapsed.TotalSeconds:0.0} s"));
        }

        var rows = new List<BenchRow>();
        foreach (var batch in options.Batches)
        {
            foreach (var (floor, _) in pairs.DistinctBy(p => p.Floor.Id))
            {
                rows.Add(new BenchRow(floor, batch, samples[(floor.Id, batch)]));
            }

            foreach (var (floor, method) in pairs)
            {
                rows.Add(new BenchRow(method, batch, samples[(method.Id, batch)], samples[(floor.Id, batch)]));
            }
        }

        var environment = BenchEnvironment.Capture(deviceName);
        return new QuickBenchReport(environment, rows, rounds, clock.Elapsed, loadBefore, LoadAverage.Read(), options.ImageSize);
    }
}
