using static TorchSharp.torch;

namespace Saliency;

/// <summary>
/// Base class for class-activation-map methods that weight the channels of a layer:
/// <c>Raw = ReLU(Σ_k w_k^c A_k)</c> at layer resolution and <c>Map = </c><see cref="SaliencyMaps.ScaleCam"/><c>(Raw)</c>.
/// A method overrides <see cref="GetCamWeights"/> only (as in pytorch-grad-cam), or <see cref="GetCamImage"/> for
/// element-wise methods.
/// </summary>
public abstract class CamMethod : ISaliencyMethod
{
    /// <inheritdoc />
    public abstract MethodDescriptor Descriptor { get; }

    /// <inheritdoc />
    public virtual SaliencyResult Explain(IExplanationContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        using var scope = NewDisposeScope();
        var raw = GetCamImage(context).relu();
        var map = SaliencyMaps.ScaleCam(raw, context.InputHeight, context.InputWidth);
        return context.Result(raw, map);
    }

    /// <summary>The channel weights <c>[B,K]</c> for each item's target. Override this, or <see cref="GetCamImage"/>.</summary>
    /// <param name="context">The context; read <see cref="IExplanationContext.Activations"/> and <see cref="IExplanationContext.LayerGradients"/>.</param>
    /// <returns>The weights.</returns>
    protected virtual Tensor GetCamWeights(IExplanationContext context) =>
        throw new NotImplementedException($"{GetType().Name} must override GetCamWeights (channel weights) or GetCamImage (the whole map).");

    /// <summary>The map before ReLU, <c>[B,h,w]</c>; by default <c>Σ_k w_k A_k</c> with <see cref="GetCamWeights"/>.</summary>
    /// <param name="context">The context.</param>
    /// <returns>The map at layer resolution.</returns>
    protected virtual Tensor GetCamImage(IExplanationContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return SaliencyMaps.WeightedSum(GetCamWeights(context), context.Activations);
    }
}
