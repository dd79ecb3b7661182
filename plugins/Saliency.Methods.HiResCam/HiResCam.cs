using static TorchSharp.torch;

namespace Saliency.Methods;

/// <summary>
/// HiResCAM (Draelos &amp; Carin 2020): every position weighted by its own gradient instead of the channel's average,
/// map <c>ReLU(Σ_k ∂y_c/∂A_k(i,j)·A_k(i,j))</c>. Equals Grad-CAM when the gradients are spatially constant (a
/// global-average-pooling head), and unlike it shows only locations the score actually depends on.
/// </summary>
public sealed class HiResCam : CamMethod
{
    /// <inheritdoc />
    public override MethodDescriptor Descriptor { get; } = new(
        "hires-cam",
        "HiResCAM",
        "HiResCAM (Draelos & Carin 2020): activations multiplied element-wise by their gradients and summed over channels, then ReLU.",
        MethodRequirements.LayerGradients)
    {
        Options = SmoothingOptions,
    };

    /// <inheritdoc />
    protected override Tensor GetWeightedActivations(IExplanationContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.LayerGradients * context.Activations;
    }
}
