using BenchmarkDotNet.Attributes;
using Saliency.Benchmarking;
using TorchSharp;
using static TorchSharp.torch;

namespace Saliency.Benchmarks;

/// <summary>
/// The four floors and the four methods on resnet18 at layer4, batch 1 and 8. Each method shares a category with its
/// floor, which is the category's baseline, so BenchmarkDotNet's Ratio column is the method's cost over its floor.
/// </summary>
[Config(typeof(BenchConfig))]
public class ExplainBenchmarks
{
    private BenchModel? _model;
    private MethodRunner? _runner;
    private FloorPasses? _floors;
    private Tensor? _input;

    /// <summary>The batch size.</summary>
    [Params(1, 8)]
    public int Batch { get; set; }

    /// <summary>Builds the model, the host with its plugins, and the batch.</summary>
    [GlobalSetup]
    public void Setup()
    {
        TorchRuntime.EnsureInitialized();
        torch.set_num_threads(BenchSettings.Threads);
        _model = BenchModel.Create(DeviceSelector.Parse(BenchSettings.Device));
        _runner = MethodRunner.Create(BenchSettings.Device);
        _runner.EnsureLoaded(BenchCase.Methods.Select(m => m.Id));
        _floors = FloorPasses.For(_model);
        _input = _model.Input(Batch);
    }

    /// <summary>Frees the host and the model.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        _runner?.Dispose();
        _model?.Dispose();
    }

    /// <summary>Forward under no_grad.</summary>
    [Benchmark(Baseline = true)]
    [BenchmarkCategory("cam")]
    public void Forward() => _floors!.Run(BenchCase.Forward, _input!);

    /// <summary>CAM through the host.</summary>
    [Benchmark]
    [BenchmarkCategory("cam")]
    public void Cam() => _runner!.Run(_model!.Explainable, _input!, BenchCase.Cam.Id);

    /// <summary>Forward and autograd.grad to layer4.</summary>
    [Benchmark(Baseline = true)]
    [BenchmarkCategory("grad-cam")]
    public void LayerGradient() => _floors!.Run(BenchCase.LayerGradient, _input!);

    /// <summary>Grad-CAM through the host.</summary>
    [Benchmark]
    [BenchmarkCategory("grad-cam")]
    public void GradCam() => _runner!.Run(_model!.Explainable, _input!, BenchCase.GradCam.Id);

    /// <summary>Forward and the gradient to the input.</summary>
    [Benchmark(Baseline = true)]
    [BenchmarkCategory("guided-backprop")]
    public void InputGradient() => _floors!.Run(BenchCase.InputGradient, _input!);

    /// <summary>Guided Backprop through the host.</summary>
    [Benchmark]
    [BenchmarkCategory("guided-backprop")]
    public void GuidedBackprop() => _runner!.Run(_model!.Explainable, _input!, BenchCase.GuidedBackprop.Id);

    /// <summary>One forward and both gradients.</summary>
    [Benchmark(Baseline = true)]
    [BenchmarkCategory("guided-grad-cam")]
    public void BothGradients() => _floors!.Run(BenchCase.BothGradients, _input!);

    /// <summary>Guided Grad-CAM through the host.</summary>
    [Benchmark]
    [BenchmarkCategory("guided-grad-cam")]
    public void GuidedGradCam() => _runner!.Run(_model!.Explainable, _input!, BenchCase.GuidedGradCam.Id);
}
