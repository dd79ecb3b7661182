using TorchSharp;
using static TorchSharp.torch;

namespace Saliency.Methods;

/// <summary>
/// Integrated Gradients (Sundararajan, Taly &amp; Yan, ICML 2017): the input's difference from a baseline times the
/// gradient of the target score averaged along the straight path between them,
/// <c>(x − x₀) ⊙ ∫₀¹ ∂y_c/∂x (x₀ + α(x − x₀)) dα</c>, approximated by quadrature. Defaults are Captum's: a zero baseline
/// and 50-point Gauss–Legendre quadrature.
/// </summary>
/// <remarks>
/// <para>Options: <c>steps</c> (quadrature points, 50), <c>method</c> (<c>gausslegendre</c>, or Captum's
/// <c>riemann_trapezoid</c>, <c>riemann_left</c>, <c>riemann_right</c>, <c>riemann_middle</c>) and <c>internal-batch</c>
/// (scaled inputs per forward and backward pass, 16). Memory grows with <c>internal-batch</c>, not with <c>steps</c>.</para>
/// <para><c>Raw</c> is the attribution <c>[B,C,H,W]</c>; by completeness its sum is <c>y_c(x) − y_c(x₀)</c> up to the
/// quadrature's error. <c>Map</c> is its largest absolute value over channels, min-max normalised per image.</para>
/// </remarks>
public sealed class IntegratedGradients : ISaliencyMethod
{
    /// <summary>The option giving the number of quadrature points.</summary>
    public const string StepsOption = "steps";

    /// <summary>The option naming the quadrature rule.</summary>
    public const string MethodOption = "method";

    /// <summary>The option giving the number of scaled inputs per forward and backward pass.</summary>
    public const string InternalBatchOption = "internal-batch";

    // A static Scalar: TorchSharp passes a Scalar's raw handle to native code without keeping it alive.
    private static readonly Scalar s_one = 1.0.ToScalar();

    /// <inheritdoc />
    public MethodDescriptor Descriptor { get; } = new(
        "integrated-gradients",
        "Integrated Gradients",
        "Integrated Gradients (Sundararajan et al. 2017): input gradients averaged along the path from a zero baseline, times the input.",
        MethodRequirements.None)
    {
        Options =
        [
            new MethodOption(StepsOption, "Quadrature points along the path.", "50"),
            new MethodOption(MethodOption, $"Quadrature rule: {string.Join(", ", PathQuadrature.Names)}.", PathQuadrature.Names[0]),
            new MethodOption(InternalBatchOption, "Scaled inputs per forward and backward pass.", "16"),
        ],
    };

    /// <inheritdoc />
    public SaliencyResult Explain(IExplanationContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var rule = PathQuadrature.Create(context.GetOption(MethodOption, PathQuadrature.Names[0]), context.GetOption(StepsOption, 50));
        var chunk = context.GetOption(InternalBatchOption, 16);
        if (chunk < 1)
        {
            throw new ArgumentException($"Option {InternalBatchOption} of 'integrated-gradients' must be at least 1; got {chunk}.");
        }

        using var scope = NewDisposeScope();
        var input = context.Input;
        var baseline = zeros_like(input);
        var difference = input - baseline;
        var integral = zeros_like(input);
        var batch = input.shape[0];
        var rows = rule.Alphas.Length * batch;

        // Row r is step r / B of item r % B (Captum's order); each chunk's gradients are weighted and added up at once.
        for (long start = 0; start < rows; start += chunk)
        {
            using var chunkScope = NewDisposeScope();
            var count = (int)Math.Min(chunk, rows - start);
            var items = new long[count];
            var alphas = new float[count];
            var weights = new float[count];
            for (var i = 0; i < count; i++)
            {
                var step = (int)((start + i) / batch);
                items[i] = (start + i) % batch;
                alphas[i] = (float)rule.Alphas[step];
                weights[i] = (float)rule.Weights[step];
            }

            var owners = tensor(items, device: context.Device);
            var alpha = tensor(alphas, device: context.Device).to(input.dtype).view(-1, 1, 1, 1);
            var weight = tensor(weights, device: context.Device).to(input.dtype).view(-1, 1, 1, 1);
            var scaled = baseline.index_select(0, owners).add(alpha * difference.index_select(0, owners), s_one);
            integral.index_add_(0, owners, context.InputGradientsAt(scaled, owners, chunk) * weight, s_one);
        }

        var raw = integral * difference;
        return context.Result(raw, SaliencyMaps.ChannelMagnitude(raw));
    }
}
