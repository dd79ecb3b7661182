using TorchSharp;
using static TorchSharp.torch;

namespace Saliency.Methods;

/// <summary>
/// XGrad-CAM (Fu et al., BMVC 2020): channel weights from the axioms of sensitivity and conservation,
/// <c>w_k = Σ_ij ∂y_c/∂A_k(i,j)·A_k(i,j) / (Σ_ij A_k(i,j) + 1e-7)</c>, map <c>ReLU(Σ_k w_k A_k)</c>
/// (pytorch-grad-cam's epsilon; torch-cam adds 1e-8).
/// </summary>
public sealed class XGradCam : CamMethod
{
    private static readonly Scalar s_epsilon = 1e-7.ToScalar();
    private static readonly Scalar s_one = 1.0.ToScalar();

    /// <inheritdoc />
    public override MethodDescriptor Descriptor { get; } = new(
        "xgrad-cam",
        "XGrad-CAM",
        "XGrad-CAM (Fu et al. 2020): channels weighted by their activation-weighted gradients, normalised by the channel's sum, then ReLU.",
        MethodRequirements.LayerGradients)
    {
        Options = SmoothingOptions,
    };

    /// <inheritdoc />
    protected override Tensor GetCamWeights(IExplanationContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var a = context.Activations;
        return (context.LayerGradients * a).sum([2, 3]) / a.sum([2, 3]).add(s_epsilon, s_one);
    }
}
