using static TorchSharp.torch;

namespace Saliency.Methods;

/// <summary>
/// Grad-CAM element-wise (pytorch-grad-cam's <c>GradCAMElementWise</c>): the element-wise products of gradients and
/// activations, clamped at zero before the channel sum, map <c>ReLU(Σ_k ReLU(∂y_c/∂A_k(i,j)·A_k(i,j)))</c>. HiResCAM
/// with only the positive contributions; equal to LayerCAM when the activations are non-negative (after a ReLU).
/// </summary>
public sealed class GradCamElementWise : CamMethod
{
    /// <inheritdoc />
    public override MethodDescriptor Descriptor { get; } = new(
        "grad-cam-elementwise",
        "Grad-CAM element-wise",
        "Grad-CAM element-wise (pytorch-grad-cam): the positive parts of gradient × activation, summed over channels.",
        MethodRequirements.LayerGradients)
    {
        Options = SmoothingOptions,
    };

    /// <inheritdoc />
    protected override Tensor GetWeightedActivations(IExplanationContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return (context.LayerGradients * context.Activations).relu();
    }
}
