using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace Saliency;

/// <summary>
/// A few tiny float32 convolutions — forward, input gradient and weight gradient — compared with float64, on shapes
/// that expose blocking bugs in convolution kernels. A few tens of milliseconds on a CPU.
/// </summary>
/// <remarks>
/// Why: on machines whose CPU hides its cache sizes (CPUID leaf 0x8000001D reads zero on some cloud VMs), the oneDNN
/// inside libtorch 2.10 returns wrong convolution input gradients whenever the output channels are not a multiple of
/// its block size (16 with AVX-512), silently: every input-gradient method (Guided Backprop, Guided Grad-CAM) would
/// return wrong maps. The float64 reference does not go through oneDNN, which supports float32 and lower only.
/// <see cref="KernelGuard"/> runs this check before the first explanation and routes around a failure.
/// </remarks>
public static class KernelSelfCheck
{
    /// <summary>The largest error, as a fraction of the peak, that passes on a CPU (float32 round-off is ~1e-6).</summary>
    public const double CpuTolerance = 1e-3;

    /// <summary>The largest error that passes on CUDA, where convolutions may use TF32 (10-bit mantissa) by default.</summary>
    public const double CudaTolerance = 1e-2;

    private const ulong Seed = 20261201;

    /// <summary>
    /// The shapes checked: a batch of 2 at 32×32 with 4, 8 and 15 output channels (none a multiple of 16), and one
    /// 224×224 image with 8 — the conditions under which the blocking bug appears (it needs enough work per thread).
    /// </summary>
    public static IReadOnlyList<KernelCheckShape> Shapes { get; } =
    [
        new(2, 3, 4, 32),
        new(2, 3, 8, 32),
        new(2, 3, 15, 32),
        new(1, 3, 8, 224),
    ];

    /// <summary>Runs the check on <paramref name="device"/>: on a CPU at one thread and at the process's thread count.</summary>
    /// <param name="device">The device.</param>
    /// <returns>Every case's errors.</returns>
    public static KernelCheckReport Run(Device device)
    {
        ArgumentNullException.ThrowIfNull(device);
        TorchRuntime.EnsureInitialized();
        var started = Stopwatch.GetTimestamp();
        var cpu = device.type == DeviceType.CPU;
        var tolerance = cpu ? CpuTolerance : CudaTolerance;
        var threads = torch.get_num_threads();
        int[] threadCounts = !cpu || threads <= 1 ? [1] : [1, threads];
        var cases = new List<KernelCheckCase>();

        using var scope = NewDisposeScope();
        using var gradients = torch.set_grad_enabled(true);
        using var generator = new Generator(Seed);
        foreach (var shape in Shapes)
        {
            using var shapeScope = NewDisposeScope();
            var data = ConvolutionData.Random(shape, generator);
            var reference = data.Run(ScalarType.Float64, CPU);
            foreach (var count in threadCounts)
            {
                var actual = WithThreads(cpu ? count : threads, () => data.Run(ScalarType.Float32, device));
                cases.Add(new KernelCheckCase(
                    shape,
                    cpu ? count : 1,
                    RelativeError(actual.Output, reference.Output),
                    RelativeError(actual.InputGradient, reference.InputGradient),
                    RelativeError(actual.WeightGradient, reference.WeightGradient),
                    tolerance));
            }
        }

        return new KernelCheckReport(
            device.ToString(),
            cpu ? LibTorchNative.IsOneDnnEnabled : null,
            cases,
            Stopwatch.GetElapsedTime(started));
    }

    /// <summary><c>max|actual − expected| / max|expected|</c>, in float64; NaN when <paramref name="actual"/> is not finite.</summary>
    internal static double RelativeError(Tensor actual, Tensor expected)
    {
        using var scope = NewDisposeScope();
        var peak = expected.abs().max().item<double>();
        var error = (actual.to(ScalarType.Float64, expected.device) - expected).abs().max().item<double>();
        return double.IsFinite(error) ? error / Math.Max(peak, double.Epsilon) : double.NaN;
    }

    private static T WithThreads<T>(int count, Func<T> run)
    {
        var previous = torch.get_num_threads();
        if (previous == count)
        {
            return run();
        }

        torch.set_num_threads(count);
        try
        {
            return run();
        }
        finally
        {
            torch.set_num_threads(previous);
        }
    }

    /// <summary>Random input, weight, bias and output gradient for one shape (float64, CPU).</summary>
    private sealed record ConvolutionData(Tensor Input, Tensor Weight, Tensor Bias, Tensor OutputGradient)
    {
        public static ConvolutionData Random(KernelCheckShape shape, Generator generator)
        {
            var fanIn = shape.InChannels * 9;
            return new ConvolutionData(
                torch.randn([shape.Batch, shape.InChannels, shape.Size, shape.Size], ScalarType.Float64, generator: generator),
                torch.randn([shape.OutChannels, shape.InChannels, 3, 3], ScalarType.Float64, generator: generator) / Math.Sqrt(fanIn),
                torch.randn([shape.OutChannels], ScalarType.Float64, generator: generator),
                torch.randn([shape.Batch, shape.OutChannels, shape.Size, shape.Size], ScalarType.Float64, generator: generator));
        }

        /// <summary>Forward, then the input and weight gradients of <c>Σ y·g</c>, in <paramref name="dtype"/> on <paramref name="device"/>; results in float64 on the CPU.</summary>
        public (Tensor Output, Tensor InputGradient, Tensor WeightGradient) Run(ScalarType dtype, Device device)
        {
            var x = Input.to(dtype, device).detach().requires_grad_(true);
            var w = Weight.to(dtype, device).detach().requires_grad_(true);
            var y = nn.functional.conv2d(x, w, Bias.to(dtype, device), padding: [1, 1]);
            var score = (y * OutputGradient.to(dtype, device)).sum();
            var grads = torch.autograd.grad([score], [x, w]);
            return (Back(y.detach()), Back(grads[0]), Back(grads[1]));
        }

        private static Tensor Back(Tensor t) => t.to(ScalarType.Float64, CPU);
    }
}
