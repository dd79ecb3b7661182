using TorchSharp;
using static TorchSharp.torch;

namespace Saliency;

/// <summary>
/// Base class for class-activation-map methods, following pytorch-grad-cam's <c>BaseCAM</c>: the layer's weighted
/// activations <c>W = w_k^c·A_k</c> (<see cref="GetWeightedActivations"/>) are summed over channels
/// (<see cref="GetCamImage"/>), <c>Raw = ReLU(Σ_k W_k)</c> at layer resolution and <c>Map = </c><see cref="SaliencyMaps.ScaleCam"/><c>(Raw)</c>.
/// A method overrides <see cref="GetCamWeights"/> only (as in pytorch-grad-cam), <see cref="GetWeightedActivations"/>
/// for element-wise methods, or <see cref="GetCamImage"/> for a map that is not a channel sum.
/// </summary>
/// <remarks>
/// Options every CAM method reads (<see cref="SmoothingOptions"/>): <c>eigen-smooth=true</c> replaces the channel sum
/// by the projection of the weighted activations on their first principal component (<see cref="EigenProjection"/>),
/// as pytorch-grad-cam's <c>eigen_smooth</c>; <c>aug-smooth=true</c> (pytorch-grad-cam's test-time augmentation) is
/// served by the host, which explains six flipped and rescaled variants of the batch and averages their maps, so a
/// method never sees it. The eigen methods set
/// <see cref="ProjectsOnFirstComponent"/>: always projected, with a signed raw map.
/// </remarks>
public abstract class CamMethod : ISaliencyMethod
{
    // A static Scalar: TorchSharp does not keep an implicitly converted Scalar alive while native code reads it.
    private static readonly Scalar s_zero = 0.0.ToScalar();

    /// <summary>The option that replaces the channel sum by the first principal component of the weighted activations.</summary>
    public const string EigenSmoothOption = "eigen-smooth";

    /// <summary>
    /// The option for pytorch-grad-cam's test-time augmentation smoothing: the host explains the batch unflipped and
    /// flipped left-right, each times 0.9, 1 and 1.1, flips the maps back and averages them. Any method may be asked.
    /// </summary>
    public const string AugSmoothOption = "aug-smooth";

    /// <summary>The options <see cref="Explain"/> reads, for a derived method's <see cref="MethodDescriptor.Options"/>.</summary>
    public static IReadOnlyList<MethodOption> SmoothingOptions { get; } =
    [
        new(EigenSmoothOption, "true: the map is the projection of the weighted activations on their first principal component (pytorch-grad-cam's eigen_smooth), which removes noise; false: their channel sum.", "false"),
        new(AugSmoothOption, "true: the mean of the maps of six variants of the image, flipped left-right or not and times 0.9, 1 or 1.1 (pytorch-grad-cam's aug_smooth); 6× the cost.", "false"),
    ];

    /// <inheritdoc />
    public abstract MethodDescriptor Descriptor { get; }

    /// <summary>
    /// True for EigenCAM and its kin: the map is always the projection of <see cref="GetWeightedActivations"/> on
    /// their first principal component (<see cref="EigenProjection"/>, as with <c>eigen-smooth</c>), and
    /// <see cref="SaliencyResult.Raw"/> keeps its sign instead of being clamped at zero (the map is clamped).
    /// </summary>
    protected virtual bool ProjectsOnFirstComponent => false;

    /// <inheritdoc />
    public virtual SaliencyResult Explain(IExplanationContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var eigenSmooth = context.GetOption(EigenSmoothOption, false);
        using var scope = NewDisposeScope();
        var cam = eigenSmooth || ProjectsOnFirstComponent ? EigenProjection(GetWeightedActivations(context)) : GetCamImage(context);
        var raw = ProjectsOnFirstComponent ? cam : cam.relu();
        var map = SaliencyMaps.ScaleCam(raw, context.InputHeight, context.InputWidth);
        return context.Result(raw, map);
    }

    /// <summary>
    /// The projection of each item's weighted activations on their first principal component, pytorch-grad-cam's
    /// <c>get_2d_projection</c>: per item, <c>M = W</c> reshaped to <c>[h·w, K]</c> (NaN as 0) with each column's mean
    /// subtracted, <c>M = U S Vᵀ</c>, and the map <c>M·v₁</c> reshaped to <c>[h,w]</c>.
    /// </summary>
    /// <remarks>
    /// The SVD runs in float64. The sign of <c>v₁</c> is arbitrary in an SVD (LAPACK's differs from cuSOLVER's); here it
    /// is chosen so that the projection correlates positively with the centred channel sum <c>M·1</c> (the map without
    /// smoothing), and kept as the SVD returned it when they are uncorrelated, so a map is the same on every device.
    /// </remarks>
    /// <param name="weightedActivations">The weighted activations <c>[B,K,h,w]</c>.</param>
    /// <returns>The signed projections <c>[B,h,w]</c>, in the dtype of <paramref name="weightedActivations"/>.</returns>
    protected static Tensor EigenProjection(Tensor weightedActivations)
    {
        ArgumentNullException.ThrowIfNull(weightedActivations);
        if (weightedActivations.dim() != 4)
        {
            throw new ArgumentException($"EigenProjection expects weighted activations [B,K,h,w], got [{string.Join(",", weightedActivations.shape)}].", nameof(weightedActivations));
        }

        using var scope = NewDisposeScope();
        var (batch, channels, height, width) = (weightedActivations.shape[0], weightedActivations.shape[1], weightedActivations.shape[2], weightedActivations.shape[3]);
        var values = weightedActivations.to(ScalarType.Float64);
        var m = where(values.isnan(), zeros_like(values), values).reshape(batch, channels, height * width).transpose(1, 2);
        m = m - m.mean([1], keepdim: true);
        var (_, _, vh) = linalg.svd(m, fullMatrices: false);
        var projection = m.matmul(vh.select(1, 0).unsqueeze(-1)).squeeze(-1);
        var agreement = (projection * m.sum([2])).sum([1], keepdim: true);
        var sign = where(agreement.lt(s_zero), -ones_like(agreement), ones_like(agreement));
        return (projection * sign).reshape(batch, height, width).to(weightedActivations.dtype).MoveToOuterDisposeScope();
    }

    /// <summary>The channel weights <c>[B,K]</c> for each item's target. Override this, <see cref="GetWeightedActivations"/> or <see cref="GetCamImage"/>.</summary>
    /// <param name="context">The context; read <see cref="IExplanationContext.Activations"/> and <see cref="IExplanationContext.LayerGradients"/>.</param>
    /// <returns>The weights.</returns>
    protected virtual Tensor GetCamWeights(IExplanationContext context) =>
        throw new NotImplementedException($"{GetType().Name} must override GetCamWeights (channel weights), GetWeightedActivations (element-wise) or GetCamImage (the whole map).");

    /// <summary>
    /// The weighted activations <c>W [B,K,h,w]</c> whose channel sum is the map; by default <c>w_k·A_k</c> with
    /// <see cref="GetCamWeights"/>. <c>eigen-smooth</c> projects them instead of summing them.
    /// </summary>
    /// <param name="context">The context.</param>
    /// <returns>The weighted activations.</returns>
    protected virtual Tensor GetWeightedActivations(IExplanationContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return GetCamWeights(context).unsqueeze(-1).unsqueeze(-1) * context.Activations;
    }

    /// <summary>The map before ReLU, <c>[B,h,w]</c>; by default <c>Σ_k W_k</c> with <see cref="GetWeightedActivations"/>.</summary>
    /// <param name="context">The context.</param>
    /// <returns>The map at layer resolution.</returns>
    protected virtual Tensor GetCamImage(IExplanationContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return GetWeightedActivations(context).sum([1]);
    }
}
