using System.Runtime.CompilerServices;
using TorchSharp;
using static TorchSharp.torch;

namespace Saliency.Benchmarking.Tests;

/// <summary>The harness on a small input: the floors compute what the engine computes, and the runs leak nothing.</summary>
public class HarnessTests
{
    [Fact]
    public void Floors_compute_the_logits_and_gradients_the_engine_computes()
    {
        using var model = BenchModel.Create(torch.CPU, imageSize: 64);
        var floors = FloorPasses.For(model);
        var x = model.Input(2);

        using var logits = floors.Forward(x);
        using var layer = floors.LayerGradient(x);
        using var atInput = floors.InputGradient(x);
        var (bothLayer, bothInput) = floors.BothGradients(x);
        using var _ = bothLayer;
        using var __ = bothInput;

        using var capture = SaliencyEngine.Capture(model.Explainable, x, BenchModel.Layer);
        using var plain = SaliencyEngine.InputGradients(model.Explainable, x, mode: GradientMode.Plain);
        Close(logits, capture.Logits);
        Close(layer, capture.Gradients!);
        Close(atInput, plain);
        Close(bothLayer, layer);
        Close(bothInput, atInput);
    }

    [Fact]
    public void The_quick_bench_measures_every_case_and_the_memory_check_leaves_no_tensor()
    {
        var report = QuickBench.Run(new QuickBenchOptions
        {
            Batches = [1],
            ImageSize = 32,
            Iterations = 2,
            MinIterations = 2,
            Warmup = 0,
            Threads = 1,
            Breakdown = true,
        });
        report.Rounds.Should().Be(2);
        report.Rows.Select(r => r.Case.Id).Should().Contain(["forward", "layer-grad", "input-grad", "both-grads", "cam", "grad-cam", "guided-backprop", "guided-grad-cam", "engine:guided-grad"]);
        report.Rows.Should().OnlyContain(r => r.SamplesMs.Count == 2);
        report.CpuRows.Should().HaveSameCount(report.Rows);

        var memory = MemoryCheck.Run(new MemoryCheckOptions { Iterations = 30, WarmRuns = 10, SampleEvery = 5, ImageSize = 32, Threads = 1 });
        memory.LiveTensorsLeft.Should().Be(0, "every tensor an explanation creates is freed");
        memory.Samples.Should().HaveCountGreaterThan(3);
        memory.Samples.Should().OnlyContain(s => s.NativeInUseMb > 0 && s.NativeFreeMb >= 0, "glibc's mallinfo2 answers on Linux");
    }

    private static void Close(Tensor actual, Tensor expected, double tolerance = 1e-5, [CallerArgumentExpression(nameof(actual))] string? what = null)
    {
        actual.shape.Should().Equal(expected.shape, what);
        using var scale = expected.abs().max();
        using var difference = (actual - expected).abs().max();
        difference.item<float>().Should().BeLessThanOrEqualTo((float)(tolerance * Math.Max(1, scale.item<float>())), what);
    }
}
