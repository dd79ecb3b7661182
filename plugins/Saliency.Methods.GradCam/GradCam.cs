using static TorchSharp.torch;

namespace Saliency.Methods;

/// <summary>
/// Grad-CAM (Selvaraju et al., ICCV 2017): channel weights <c>α_k^c = mean_ij ∂y_c/∂A_k(i,j)</c>, map
/// <c>ReLU(Σ_k α_k^c A_k)</c>. Works on any architecture; one forward and a backward down to the layer.
/// </summary>
public sealed class GradCam : CamMethod
{
    /// <inheritdoc />
    public override MethodDescriptor Descriptor { get; } = new(
        "grad-cam",
        "Grad-CAM",
        "Grad-CAM (Selvaraju et al. 2017): the layer's channels weighted by their spatially averaged gradients, then ReLU.",
        MethodRequirements.LayerGradients)
    {
        Options = SmoothingOptions,
    };

    /// <inheritdoc />
    protected override Tensor GetCamWeights(IExplanationContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.LayerGradients.mean([2, 3]);
    }
}
