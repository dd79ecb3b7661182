using static TorchSharp.torch;

namespace Saliency.Methods;

/// <summary>
/// Input × Gradient (Shrikumar et al. 2016): the input multiplied element-wise by the gradient of the target score
/// with respect to it, <c>x ⊙ ∂y_c/∂x</c>, as Captum's <c>InputXGradient</c>.
/// </summary>
/// <remarks>
/// <c>Raw</c> is <c>x ⊙ ∂y_c/∂x</c> <c>[B,C,H,W]</c>; for a model that is linear in its input without a bias, its sum
/// over every element is the score. <c>Map</c> is its largest absolute value over channels, min-max normalised per image.
/// </remarks>
public sealed class InputXGradient : ISaliencyMethod
{
    /// <inheritdoc />
    public MethodDescriptor Descriptor { get; } = new(
        "input-x-gradient",
        "Input × Gradient",
        "Input × Gradient (Shrikumar et al. 2016): the input times the gradient of the target score with respect to it.",
        MethodRequirements.InputGradients);

    /// <inheritdoc />
    public SaliencyResult Explain(IExplanationContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        using var scope = NewDisposeScope();
        var raw = context.Input * context.InputGradients(GradientMode.Plain);
        return context.Result(raw, SaliencyMaps.ChannelMagnitude(raw));
    }
}
