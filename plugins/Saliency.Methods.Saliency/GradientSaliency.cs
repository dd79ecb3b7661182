using static TorchSharp.torch;

namespace Saliency.Methods;

/// <summary>
/// Saliency (Simonyan, Vedaldi &amp; Zisserman, ICLR 2014 workshop): the absolute value of the gradient of the target
/// score with respect to the input, <c>|∂y_c/∂x|</c>, as Captum's <c>Saliency</c> with <c>abs=True</c>.
/// </summary>
/// <remarks>
/// <c>Raw</c> is <c>|∂y_c/∂x|</c> <c>[B,C,H,W]</c>. <c>Map</c> is its largest value over channels (the paper's map),
/// min-max normalised per image.
/// </remarks>
public sealed class GradientSaliency : ISaliencyMethod
{
    /// <inheritdoc />
    public MethodDescriptor Descriptor { get; } = new(
        "saliency",
        "Saliency",
        "Saliency (Simonyan et al. 2014): the absolute gradient of the target score with respect to the input.",
        MethodRequirements.InputGradients);

    /// <inheritdoc />
    public SaliencyResult Explain(IExplanationContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        using var scope = NewDisposeScope();
        var raw = context.InputGradients(GradientMode.Plain).abs();
        return context.Result(raw, SaliencyMaps.ChannelMagnitude(raw));
    }
}
