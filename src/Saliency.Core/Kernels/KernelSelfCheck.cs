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
/// return wrong maps. The float64 reference is computed without any convolution kernel (patches and matrix products).
/// <see cref="KernelGuard"/> runs this check before the first explanation and routes around a failure.
/// </remarks>
public static class KernelSelfCheck
{
    // Static Scalars: a temporary one (a converted number) may be finalised during the call.
    private static readonly Scalar s_one = 1.0.ToScalar();
    private static readonly Scalar s_two = 2.0.ToScalar();

    /// <summary>The largest error, as a fraction of the peak, that passes on a CPU (float32 round-off is ~1e-6).</summary>
    public const double CpuTolerance = 1e-3;

    /// <summary>The largest error that passes on CUDA, where convolutions may use TF32 (10-bit mantissa) by default.</summary>
    public const double CudaTolerance = 1e-2;

    private const ulong Seed = 20261201;

    /// <summary>
    /// The shapes checked: a batch of 2 at 32×32 with 4, 8 and 15 output channels (none a multiple of 16), and one
    /// 128×128 image with 8 — the conditions under which the blocking bug appears (it needs enough work per thread:
    /// on the affected VMs a single image is wrong from 96×96 up, right at 64×64).
    /// </summary>
    public static IReadOnlyList<KernelCheckShape> Shapes { get; } =
    [
        new(2, 3, 4, 32),
        new(2, 3, 8, 32),
        new(2, 3, 15, 32),
        new(1, 3, 8, 128),
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
            var reference = data.Reference();
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
        var error = actual.to(ScalarType.Float64, expected.device).sub(expected).abs().max().item<double>();
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

    /// <summary>
    /// Random input, weight, bias and output gradient for one shape (float64, CPU); the convolution in the dtype and
    /// on the device checked, and the reference computed without any convolution kernel.
    /// </summary>
    private sealed record ConvolutionData(Tensor Input, Tensor Weight, Tensor Bias, Tensor OutputGradient)
    {
        public static ConvolutionData Random(KernelCheckShape shape, Generator generator)
        {
            // Uniform in [-1, 1) (cheaper to draw than normal values); the weight scaled by its fan-in as in PyTorch's init.
            Tensor Uniform(params long[] size) => torch.rand(size, ScalarType.Float64, generator: generator).mul(s_two).sub(s_one);
            return new ConvolutionData(
                Uniform(shape.Batch, shape.InChannels, shape.Size, shape.Size),
                Uniform(shape.OutChannels, shape.InChannels, 3, 3) / Math.Sqrt(shape.InChannels * 9),
                Uniform(shape.OutChannels),
                Uniform(shape.Batch, shape.OutChannels, shape.Size, shape.Size));
        }

        /// <summary><c>conv2d</c> forward, then the input and weight gradients of <c>Σ y·g</c>, in <paramref name="dtype"/> on <paramref name="device"/>; results in float64 on the CPU.</summary>
        public (Tensor Output, Tensor InputGradient, Tensor WeightGradient) Run(ScalarType dtype, Device device)
        {
            var x = Input.to(dtype, device).detach().requires_grad_(true);
            var w = Weight.to(dtype, device).detach().requires_grad_(true);
            return Gradients(x, w, nn.functional.conv2d(x, w, Bias.to(dtype, device), padding: [1, 1]), OutputGradient.to(dtype, device));
        }

        /// <summary>
        /// The same in float64, written out tap by tap of the 3×3 kernel on zero-padded tensors (<c>x̄</c>, <c>ḡ</c>):
        /// no convolution kernel — neither oneDNN, NNPACK nor libtorch's own — takes part, so the reference cannot
        /// share a convolution bug.
        /// <list type="bullet">
        /// <item><c>y[n,o,i,j] = b[o] + Σ_{c,p,q} w[o,c,p,q] · x̄[n,c,i+p,j+q]</c></item>
        /// <item><c>∂/∂x[n,c,i,j] = Σ_{o,p,q} w[o,c,p,q] · ḡ[n,o,i+2−p,j+2−q]</c></item>
        /// <item><c>∂/∂w[o,c,p,q] = Σ_{n,i,j} g[n,o,i,j] · x̄[n,c,i+p,j+q]</c></item>
        /// </list>
        /// </summary>
        public (Tensor Output, Tensor InputGradient, Tensor WeightGradient) Reference()
        {
            var (batch, channels, size) = (Input.shape[0], Input.shape[1], Input.shape[2]);
            var outChannels = Weight.shape[0];
            var x = nn.functional.pad(Input, [1, 1, 1, 1]);
            var g = nn.functional.pad(OutputGradient, [1, 1, 1, 1]);
            var flatG = OutputGradient.reshape(batch, outChannels, size * size);
            var y = Bias.reshape(1, -1, 1, 1).expand(OutputGradient.shape).clone();
            var dx = torch.zeros_like(Input);
            var dw = torch.zeros_like(Weight);
            for (var p = 0; p < 3; p++)
            {
                for (var q = 0; q < 3; q++)
                {
                    using var scope = NewDisposeScope();
                    var window = x.narrow(2, p, size).narrow(3, q, size);
                    var gradientWindow = g.narrow(2, 2 - p, size).narrow(3, 2 - q, size);
                    var tap = Weight.select(3, q).select(2, p);
                    for (var c = 0; c < channels; c++)
                    {
                        y.addcmul_(window.narrow(1, c, 1), tap.narrow(1, c, 1).reshape(1, outChannels, 1, 1), 1);
                    }

                    for (var o = 0; o < outChannels; o++)
                    {
                        dx.addcmul_(gradientWindow.narrow(1, o, 1), tap.narrow(0, o, 1).reshape(1, channels, 1, 1), 1);
                    }

                    var patches = window.reshape(batch, channels, size * size).transpose(1, 2);
                    dw.select(3, q).select(2, p).copy_(torch.matmul(flatG, patches).sum([0]));
                }
            }

            return (y, dx, dw);
        }

        /// <summary><c>conv2d</c> forward, then the input and weight gradients of <c>Σ y·g</c> by autograd.</summary>
        private static (Tensor Output, Tensor InputGradient, Tensor WeightGradient) Gradients(Tensor x, Tensor w, Tensor y, Tensor outputGradient)
        {
            var grads = torch.autograd.grad([(y * outputGradient).sum()], [x, w]);
            return (Back(y.detach()), Back(grads[0]), Back(grads[1]));
        }

        private static Tensor Back(Tensor t) => t.to(ScalarType.Float64, CPU);
    }
}
