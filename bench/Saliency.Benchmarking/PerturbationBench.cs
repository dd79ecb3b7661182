using System.Diagnostics;
using System.Globalization;
using System.Text;
using static TorchSharp.torch;

namespace Saliency.Benchmarking;

/// <summary>What <see cref="PerturbationBench.Run"/> measures.</summary>
public sealed record PerturbationBenchOptions
{
    /// <summary>Measured rounds; each runs every case once. Default 3.</summary>
    public int Iterations { get; init; } = 3;

    /// <summary>libtorch's intra-op threads; <see langword="null"/> means one per logical core.</summary>
    public int? Threads { get; init; }

    /// <summary>Whether to tune glibc's allocator for tensors first, as the <c>saliency</c> command does. Default true.</summary>
    public bool TuneAllocator { get; init; } = true;

    /// <summary>The kernel check before measuring. Default <see cref="KernelCheckMode.Auto"/>.</summary>
    public KernelCheckMode KernelCheck { get; init; } = KernelCheckMode.Auto;

    /// <summary>Receives one line per stage.</summary>
    public Action<string>? Progress { get; init; }
}

/// <summary>
/// Score-CAM and Ablation-CAM on resnet18 (224×224, batch 1, layer4, 512 channels) through the host, each beside the
/// strategy pytorch-grad-cam uses, written in plain TorchSharp in the same process: Score-CAM's 512 masked inputs in
/// batches of 16; Ablation-CAM's 512 ablated copies in batches of 32, each copy running the whole network with
/// layer4's output replaced by a hook. Interleaved rounds, medians, the ratio of each method to its baseline.
/// </summary>
public static class PerturbationBench
{
    /// <summary>Measures.</summary>
    /// <param name="options">Rounds and threads; defaults when <see langword="null"/>.</param>
    /// <returns>The report.</returns>
    public static PerturbationReport Run(PerturbationBenchOptions? options = null)
    {
        options ??= new PerturbationBenchOptions();
        var progress = options.Progress ?? (_ => { });
        var clock = Stopwatch.StartNew();
        var (device, deviceName) = BenchProcess.Prepare(options.TuneAllocator, options.Threads, "cpu", options.KernelCheck);
        using var model = BenchModel.Create(device);
        using var runner = MethodRunner.Create(deviceName, kernelCheck: options.KernelCheck);
        runner.EnsureLoaded(["score-cam", "ablation-cam"]);
        var input = model.Input(1);
        var baseline = new PeerStrategies(model);
        (string Name, Action Run)[] cases =
        [
            ("score-cam", () => runner.Run(model.Explainable, input, "score-cam")),
            ("score-cam, pytorch-grad-cam's strategy", () => baseline.ScoreCam(input).Dispose()),
            ("ablation-cam", () => runner.Run(model.Explainable, input, "ablation-cam")),
            ("ablation-cam, pytorch-grad-cam's strategy", () => baseline.AblationCam(input).Dispose()),
        ];
        var samples = cases.ToDictionary(c => c.Name, _ => new List<double>());
        var cpu = cases.ToDictionary(c => c.Name, _ => new List<double>());
        var process = System.Diagnostics.Process.GetCurrentProcess();
        for (var round = 0; round <= options.Iterations; round++)
        {
            foreach (var (name, run) in round % 2 == 0 ? cases : cases.Reverse())
            {
                process.Refresh();
                var cpuStart = process.TotalProcessorTime;
                var start = Stopwatch.GetTimestamp();
                run();
                if (round > 0)
                {
                    samples[name].Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                    process.Refresh();
                    cpu[name].Add((process.TotalProcessorTime - cpuStart).TotalMilliseconds);
                }
            }

            progress(round == 0 ? "warm-up done" : string.Create(CultureInfo.InvariantCulture, $"round {round}/{options.Iterations} done at {clock.Elapsed.TotalSeconds:0} s"));
        }

        return new PerturbationReport(BenchEnvironment.Capture(deviceName), [.. cases.Select(c => (c.Name, (IReadOnlyList<double>)samples[c.Name], (IReadOnlyList<double>)cpu[c.Name]))], options.Iterations, clock.Elapsed, baseline.DeadChannels(input));
    }

    /// <summary>pytorch-grad-cam's loops for ScoreCAM and AblationCAM (one image, the argmax class), in plain TorchSharp.</summary>
    private sealed class PeerStrategies(BenchModel model)
    {
        private readonly nn.Module<Tensor, Tensor> _layer = (nn.Module<Tensor, Tensor>)model.Module.named_modules().First(m => m.name == BenchModel.Layer).module;

        public Tensor ScoreCam(Tensor input)
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var (activation, logits) = Capture(input, scope);
            var target = logits.argmax(1).item<long>();
            var upsampled = nn.functional.interpolate(activation, [input.shape[2], input.shape[3]], mode: InterpolationMode.Bilinear, align_corners: true)[0];
            var flat = upsampled.flatten(1);
            var masks = (upsampled - flat.amin([1], keepdim: true).unsqueeze(-1)) / (flat.amax([1], keepdim: true).unsqueeze(-1) - flat.amin([1], keepdim: true).unsqueeze(-1) + 1e-8);
            var masked = input * masks.unsqueeze(1);
            var scores = new List<Tensor>();
            for (long start = 0; start < masked.shape[0]; start += 16)
            {
                scores.Add(model.Module.call(masked.narrow(0, start, Math.Min(16, masked.shape[0] - start))).select(1, target));
            }

            var weights = cat(scores, 0).softmax(0);
            return (weights.reshape(1, -1, 1, 1) * activation).sum([1]).relu().MoveToOuterDisposeScope();
        }

        /// <summary>Channels of the layer that are zero everywhere for <paramref name="input"/> (Score-CAM scores them with one forward).</summary>
        public long DeadChannels(Tensor input)
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var (activation, _) = Capture(input, scope);
            return activation[0].flatten(1).abs().amax([1]).eq(0).sum().item<long>();
        }

        public Tensor AblationCam(Tensor input)
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var (activation, logits) = Capture(input, scope);
            var target = logits.argmax(1).item<long>();
            var original = logits[0, target].item<float>();
            var channels = activation.shape[1];
            var scores = new List<Tensor>();
            for (long start = 0; start < channels; start += 32)
            {
                var count = Math.Min(32, channels - start);
                var ablated = activation.expand(count, -1, -1, -1).clone();
                for (var i = 0; i < count; i++)
                {
                    ablated[i, start + i] = tensor(0f);
                }

                using var hook = ExplainableSupport.RegisterForwardHook(_layer, (_, _, _) => ablated);
                scores.Add(model.Module.call(input.expand(count, -1, -1, -1)).select(1, target));
            }

            var weights = (original - cat(scores, 0)) / original;
            return (weights.reshape(1, -1, 1, 1) * activation).sum([1]).relu().MoveToOuterDisposeScope();
        }

        private (Tensor Activation, Tensor Logits) Capture(Tensor input, TorchSharp.DisposeScope scope)
        {
            Tensor? activation = null;
            using (ExplainableSupport.RegisterForwardHook(_layer, (_, _, output) =>
            {
                activation = output.clone().DetachFromDisposeScope();
                return null;
            }))
            {
                var logits = model.Module.call(input);

                // ResNet frees hook-captured tensors with its own dispose scope: the hook detached the clone, and the
                // caller's scope takes it back so that it is freed with the caller's other tensors.
                scope.Attach(activation!);
                return (activation!, logits);
            }
        }
    }
}

/// <summary>The result of <see cref="PerturbationBench.Run"/>.</summary>
/// <param name="Environment">The machine and software.</param>
/// <param name="Samples">Milliseconds per run of each case, one per round: wall time, and the process's CPU time (less
/// sensitive to other work on a shared machine, whose wait shows in the wall time only).</param>
/// <param name="Rounds">Measured rounds.</param>
/// <param name="Elapsed">Wall time of the whole run.</param>
/// <param name="DeadChannels">Layer channels that are zero everywhere for the input (Score-CAM's shared forward).</param>
public sealed record PerturbationReport(BenchEnvironment Environment, IReadOnlyList<(string Case, IReadOnlyList<double> Ms, IReadOnlyList<double> CpuMs)> Samples, int Rounds, TimeSpan Elapsed, long DeadChannels)
{
    /// <summary>Median of a case.</summary>
    /// <param name="name">The case.</param>
    /// <returns>Milliseconds.</returns>
    public double Median(string name) => SampleStatistics.Median(Samples.First(s => s.Case == name).Ms);

    /// <summary>Median CPU time of a case.</summary>
    /// <param name="name">The case.</param>
    /// <returns>Milliseconds of CPU time.</returns>
    public double MedianCpu(string name) => SampleStatistics.Median(Samples.First(s => s.Case == name).CpuMs);

    /// <summary>A text table (each method against pytorch-grad-cam's strategy) followed by the environment.</summary>
    /// <returns>The text.</returns>
    public string ToText()
    {
        var text = new StringBuilder();
        text.Append("kernels: ").AppendLine(Environment.Kernels);
        text.AppendLine(CultureInfo.InvariantCulture, $"{"case",-42} {"median ms",10}  {"IQR",17}  {"CPU ms",10}  vs pytorch-grad-cam's strategy (wall; CPU)");
        foreach (var (name, ms, cpuMs) in Samples)
        {
            var peer = name.Contains(',', StringComparison.Ordinal) ? null : $"{name}, pytorch-grad-cam's strategy";
            var ratio = peer is null ? string.Empty : $"{Median(peer) / Median(name):0.00}× faster; {MedianCpu(peer) / MedianCpu(name):0.00}×";
            text.AppendLine(CultureInfo.InvariantCulture, $"{name,-42} {SampleStatistics.FormatMilliseconds(SampleStatistics.Median(ms)),10}  {SampleStatistics.FormatMilliseconds(SampleStatistics.Quantile(ms, 0.25)),8}–{SampleStatistics.FormatMilliseconds(SampleStatistics.Quantile(ms, 0.75)),-8}  {SampleStatistics.FormatMilliseconds(SampleStatistics.Median(cpuMs)),10}  {ratio}");
        }

        text.AppendLine();
        FactList.AppendAligned(text, [("measured", string.Create(CultureInfo.InvariantCulture, $"resnet18, 224×224, batch 1, layer4 (512 channels, {DeadChannels} zero everywhere), {Rounds} rounds, {Elapsed.TotalSeconds:0} s")), .. Environment.Facts()]);
        return text.ToString();
    }
}
