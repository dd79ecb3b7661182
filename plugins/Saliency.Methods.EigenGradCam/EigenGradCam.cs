using static TorchSharp.torch;

namespace Saliency.Methods;

/// <summary>
/// EigenGradCAM (pytorch-grad-cam): EigenCAM on the gradient-weighted activations <c>∂y_c/∂A ⊙ A</c>, per item
/// <c>M = g⊙A</c> as <c>[h·w, K]</c> with centred columns, <c>M = U S Vᵀ</c>, map <c>M·v₁</c>. Class-discriminative
/// like HiResCAM, with the noise of the smaller components removed.
/// </summary>
/// <remarks>
/// <see cref="SaliencyResult.Raw"/> is the signed projection (no ReLU); the map clamps it. The sign of <c>v₁</c> is
/// chosen so the projection correlates with HiResCAM's map before ReLU (see <see cref="CamMethod.EigenProjection"/>);
/// pytorch-grad-cam keeps LAPACK's arbitrary sign. <c>eigen-smooth</c> changes nothing.
/// </remarks>
public sealed class EigenGradCam : CamMethod
{
    /// <inheritdoc />
    public override MethodDescriptor Descriptor { get; } = new(
        "eigen-grad-cam",
        "EigenGradCAM",
        "EigenGradCAM (pytorch-grad-cam): gradient × activation projected on its first principal component.",
        MethodRequirements.LayerGradients)
    {
        Options = SmoothingOptions,
    };

    /// <inheritdoc />
    protected override bool ProjectsOnFirstComponent => true;

    /// <inheritdoc />
    protected override Tensor GetWeightedActivations(IExplanationContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.LayerGradients * context.Activations;
    }
}
