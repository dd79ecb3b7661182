using static TorchSharp.torch;

namespace Saliency.Methods;

/// <summary>
/// Deconvolution (Zeiler &amp; Fergus, ECCV 2014), as Captum computes it: the gradient of the target score with respect
/// to the input, where every ReLU module passes back <c>max(g, 0)</c> whatever the sign of its input in the forward pass.
/// </summary>
/// <remarks>
/// <c>Raw</c> is that gradient <c>[B,C,H,W]</c>. <c>Map</c> is its largest absolute value over channels, min-max
/// normalised per image. A block that ends in a functional ReLU keeps its forward mask (Guided Backprop's rule there),
/// and a functional ReLU no hook reaches passes plain gradients; both are reported as warnings.
/// </remarks>
public sealed class Deconvolution : ISaliencyMethod
{
    /// <inheritdoc />
    public MethodDescriptor Descriptor { get; } = new(
        "deconvolution",
        "Deconvolution",
        "Deconvolution (Zeiler & Fergus 2014): the input gradient with every ReLU passing back only positive signals, regardless of its input.",
        MethodRequirements.DeconvolutionRelu);

    /// <inheritdoc />
    public SaliencyResult Explain(IExplanationContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        using var scope = NewDisposeScope();
        var raw = context.InputGradients(GradientMode.Deconvolution).clone();
        return context.Result(raw, SaliencyMaps.ChannelMagnitude(raw));
    }
}
