using Saliency;
using static TorchSharp.torch;

namespace SaliencyMethod1;

/// <summary>
/// A class-activation map: the explained layer's channels weighted by the spatial mean of their gradients
/// (Grad-CAM's weights), summed over channels; <see cref="CamMethod"/> applies ReLU, upsamples and normalises.
/// Change <see cref="GetCamWeights"/> (channel weights), or override <c>GetWeightedActivations</c> (element-wise)
/// or <c>GetCamImage</c> (the whole map) instead.
/// </summary>
public sealed class MyCam : CamMethod
{
    /// <summary>What the host lists and how requests name the method.</summary>
    public override MethodDescriptor Descriptor { get; } = new(
        "my-cam",
        "MyCam",
        "The layer's channels weighted by the spatial mean of their gradients.",
        MethodRequirements.LayerGradients)
    {
        Options = SmoothingOptions,
    };

    /// <summary>The channel weights <c>[B,K]</c>: the mean of <c>∂y/∂A_k</c> over the layer's positions.</summary>
    /// <param name="context">The shared passes: activations <c>[B,K,h,w]</c> and their gradients.</param>
    /// <returns>The weights.</returns>
    protected override Tensor GetCamWeights(IExplanationContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.LayerGradients.mean([2, 3]);
    }
}
