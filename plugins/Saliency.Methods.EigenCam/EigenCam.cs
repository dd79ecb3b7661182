using static TorchSharp.torch;

namespace Saliency.Methods;

/// <summary>
/// EigenCAM (Muhammad &amp; Yeasin, IJCNN 2020): the layer's activations projected on their first principal
/// component, per item <c>M = A</c> as <c>[h·w, K]</c> with centred columns, <c>M = U S Vᵀ</c>, map <c>M·v₁</c>.
/// Needs no gradient and no target: it shows what the layer responds to most, whatever the class.
/// </summary>
/// <remarks>
/// <see cref="SaliencyResult.Raw"/> is the signed projection (no ReLU); the map clamps it. The sign of <c>v₁</c> is
/// chosen so the projection correlates with the centred channel sum (see <see cref="CamMethod.EigenProjection"/>);
/// pytorch-grad-cam keeps LAPACK's arbitrary sign, so its map may be this one's negative. <c>eigen-smooth</c>
/// changes nothing.
/// </remarks>
public sealed class EigenCam : CamMethod
{
    /// <inheritdoc />
    public override MethodDescriptor Descriptor { get; } = new(
        "eigen-cam",
        "EigenCAM",
        "EigenCAM (Muhammad & Yeasin 2020): the layer's activations projected on their first principal component; no gradients, class-agnostic.",
        MethodRequirements.LayerActivations)
    {
        Options = SmoothingOptions,
    };

    /// <inheritdoc />
    protected override bool ProjectsOnFirstComponent => true;

    /// <inheritdoc />
    protected override Tensor GetWeightedActivations(IExplanationContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.Activations;
    }
}
