using static TorchSharp.torch;

namespace Saliency.Methods;

/// <summary>
/// LayerCAM (Jiang et al., IEEE TIP 2021): every position weighted by its own positive gradient,
/// <c>ReLU(Σ_k ReLU(∂y_c/∂A_k(i,j))·A_k(i,j))</c>. Sharper than Grad-CAM at shallow layers.
/// </summary>
public sealed class LayerCam : CamMethod
{
    /// <inheritdoc />
    public override MethodDescriptor Descriptor { get; } = new(
        "layer-cam",
        "LayerCAM",
        "LayerCAM (Jiang et al. 2021): activations weighted element-wise by their positive gradients.",
        MethodRequirements.LayerGradients)
    {
        Options = SmoothingOptions,
    };

    /// <inheritdoc />
    protected override Tensor GetWeightedActivations(IExplanationContext context) =>
        context.LayerGradients.relu() * context.Activations;
}
