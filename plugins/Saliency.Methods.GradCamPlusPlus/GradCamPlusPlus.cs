using TorchSharp;
using static TorchSharp.torch;

namespace Saliency.Methods;

/// <summary>
/// Grad-CAM++ (Chattopadhyay et al., WACV 2018), with pytorch-grad-cam's closed form for an exponential score:
/// <c>α_k(i,j) = g² / (2g² + S_k·g³ + 1e-6)</c> with <c>g = ∂y_c/∂A_k(i,j)</c> and <c>S_k = Σ_ij A_k(i,j)</c>
/// (<c>α = 0</c> where <c>g = 0</c>), channel weights <c>w_k = Σ_ij ReLU(g)·α_k(i,j)</c>, map
/// <c>ReLU(Σ_k w_k A_k)</c>. Better than Grad-CAM at covering several instances of a class.
/// </summary>
/// <remarks>torch-cam's <c>GradCAMpp</c> computes other weights; this follows pytorch-grad-cam.</remarks>
public sealed class GradCamPlusPlus : CamMethod
{
    private static readonly Scalar s_zero = 0.0.ToScalar();
    private static readonly Scalar s_two = 2.0.ToScalar();
    private static readonly Scalar s_epsilon = 1e-6.ToScalar();
    private static readonly Scalar s_one = 1.0.ToScalar();

    /// <inheritdoc />
    public override MethodDescriptor Descriptor { get; } = new(
        "grad-cam++",
        "Grad-CAM++",
        "Grad-CAM++ (Chattopadhyay et al. 2018): channels weighted by their positive gradients with per-position coefficients α, then ReLU.",
        MethodRequirements.LayerGradients)
    {
        Options = SmoothingOptions,
    };

    /// <inheritdoc />
    protected override Tensor GetCamWeights(IExplanationContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var g = context.LayerGradients;
        var g2 = g * g;
        var g3 = g2 * g;
        var sums = context.Activations.sum([2, 3], keepdim: true);
        var alpha = g2 / (g2 * s_two).add(sums * g3, s_one).add(s_epsilon, s_one);
        alpha = where(g.ne(s_zero), alpha, zeros_like(alpha));
        return (g.relu() * alpha).sum([2, 3]);
    }
}
