using static TorchSharp.torch;

namespace Saliency.Methods;

/// <summary>
/// Guided Backpropagation (Springenberg et al., ICLR 2015 workshop): the gradient of the target logit with respect to
/// the input, where every ReLU passes back only positive gradients at positive inputs, <c>(x &gt; 0)·(g &gt; 0)·g</c>.
/// </summary>
/// <remarks>
/// <c>Raw</c> is the gradient <c>[B,C,H,W]</c>. <c>Map</c> is its largest absolute value over channels, min-max
/// normalised per image. Functional ReLUs that no hook reaches stay unguided and are reported as warnings.
/// </remarks>
public sealed class GuidedBackprop : ISaliencyMethod
{
    /// <inheritdoc />
    public MethodDescriptor Descriptor { get; } = new(
        "guided-backprop",
        "Guided Backprop",
        "Guided Backpropagation (Springenberg et al. 2015): the input gradient with only positive signals passed back through every ReLU.",
        MethodRequirements.GuidedRelu);

    /// <inheritdoc />
    public SaliencyResult Explain(IExplanationContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        using var scope = NewDisposeScope();
        var raw = context.InputGradients(GradientMode.Guided).clone();
        return context.Result(raw, SaliencyMaps.ChannelMagnitude(raw));
    }
}
