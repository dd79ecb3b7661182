using TorchSharp;
using static TorchSharp.torch;

namespace Saliency;

/// <summary>How a layer-resolution map is brought to input resolution.</summary>
public enum UpsampleMode
{
    /// <summary>Bilinear with <c>align_corners=false</c> (PyTorch's <c>F.interpolate</c> default, equal to OpenCV's <c>INTER_LINEAR</c> for integer factors).</summary>
    Bilinear,

    /// <summary>PyTorch's legacy <c>nearest</c>: source index <c>floor(dst·h/H)</c> (Captum's Guided Grad-CAM).</summary>
    Nearest,
}

/// <summary>
/// Map arithmetic shared by the methods, following the conventions of the Python references
/// (pytorch-grad-cam, Captum, torch-cam). Every function works per batch item and returns a new tensor.
/// </summary>
public static class SaliencyMaps
{
    /// <summary>The epsilon pytorch-grad-cam adds to the min-max denominator.</summary>
    public const double GradCamEpsilon = 1e-7;

    // TorchSharp passes a Scalar's raw handle to native code without keeping the Scalar alive, so an implicitly
    // converted number can be finalised while libtorch still reads it. Scalars here are static or disposed by us.
    private static readonly Scalar s_zero = 0.0.ToScalar();

    // add's alpha: its one-argument overloads convert 1 to a temporary Scalar, which the GC may
    // finalise during the call (seen as libtorch's "Expected false to be true" from Scalar::toFloat under load).
    private static readonly Scalar s_one = 1.0.ToScalar();

    /// <summary>Upsamples maps <c>[B,h,w]</c> to <c>[B,H,W]</c>.</summary>
    /// <param name="maps">Maps at layer resolution.</param>
    /// <param name="height">Output height <c>H</c>.</param>
    /// <param name="width">Output width <c>W</c>.</param>
    /// <param name="mode">Bilinear (default) or nearest.</param>
    /// <returns>The upsampled maps.</returns>
    public static Tensor Upsample(Tensor maps, long height, long width, UpsampleMode mode = UpsampleMode.Bilinear)
    {
        ArgumentNullException.ThrowIfNull(maps);
        if (maps.dim() != 3)
        {
            throw new ArgumentException($"Upsample expects maps [B,h,w], got [{string.Join(",", maps.shape)}].", nameof(maps));
        }

        using var scope = NewDisposeScope();
        var batched = maps.unsqueeze(1);
        var up = mode == UpsampleMode.Bilinear
            ? nn.functional.interpolate(batched, [height, width], mode: InterpolationMode.Bilinear, align_corners: false)
            : nn.functional.interpolate(batched, [height, width], mode: InterpolationMode.Nearest);
        return up.squeeze(1).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Per-item min-max normalisation: <c>x −= min(x); x /= (max(x) + eps)</c> over every dimension but the first.
    /// With <paramref name="epsilon"/> 0, a constant map becomes all zeros instead of NaN.
    /// </summary>
    /// <param name="maps">A batch <c>[B,…]</c>.</param>
    /// <param name="epsilon">Added to the denominator (pytorch-grad-cam uses 1e-7; CAM uses 0).</param>
    /// <returns>The normalised batch, same shape.</returns>
    public static Tensor MinMaxNormalize(Tensor maps, double epsilon = 0)
    {
        ArgumentNullException.ThrowIfNull(maps);
        using var scope = NewDisposeScope();
        using var eps = epsilon.ToScalar();
        var flat = maps.flatten(1);
        var shifted = flat - flat.amin([1], keepdim: true);
        var denominator = shifted.amax([1], keepdim: true).add(eps, s_one);
        Tensor normalised;
        if (epsilon > 0)
        {
            normalised = shifted / denominator;
        }
        else
        {
            var positive = denominator.gt(s_zero);
            normalised = where(positive, shifted / where(positive, denominator, ones_like(denominator)), zeros_like(shifted));
        }

        return normalised.reshape(maps.shape).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// pytorch-grad-cam's map from a layer-resolution CAM <c>[B,h,w]</c>: ReLU, min-max (1e-7), bilinear resize
    /// to <c>[H,W]</c>, ReLU, min-max (1e-7). A map that is ≤ 0 everywhere becomes all zeros.
    /// </summary>
    /// <param name="cam">The raw CAM.</param>
    /// <param name="height">Input height.</param>
    /// <param name="width">Input width.</param>
    /// <returns>The map <c>[B,H,W]</c> in <c>[0,1)</c>.</returns>
    public static Tensor ScaleCam(Tensor cam, long height, long width)
    {
        ArgumentNullException.ThrowIfNull(cam);
        using var scope = NewDisposeScope();
        var first = MinMaxNormalize(cam.relu(), GradCamEpsilon);
        var resized = Upsample(first, height, width);
        return MinMaxNormalize(resized.relu(), GradCamEpsilon).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// A displayable map <c>[B,H,W]</c> in <c>[0,1]</c> from an input-resolution attribution <c>[B,C,H,W]</c>:
    /// the largest absolute value over channels (Simonyan et al. 2014), min-max normalised per item.
    /// </summary>
    /// <param name="attribution">A gradient-like attribution.</param>
    /// <returns>The map.</returns>
    public static Tensor ChannelMagnitude(Tensor attribution)
    {
        ArgumentNullException.ThrowIfNull(attribution);
        if (attribution.dim() != 4)
        {
            throw new ArgumentException($"ChannelMagnitude expects [B,C,H,W], got [{string.Join(",", attribution.shape)}].", nameof(attribution));
        }

        using var scope = NewDisposeScope();
        return MinMaxNormalize(attribution.abs().amax([1])).MoveToOuterDisposeScope();
    }

    /// <summary>The weighted channel sum <c>Σ_k w[b,k]·A[b,k]</c>: <c>[B,K]</c> weights and <c>[B,K,h,w]</c> activations give <c>[B,h,w]</c>.</summary>
    /// <param name="weights">Channel weights per item.</param>
    /// <param name="activations">The layer activations.</param>
    /// <returns>The weighted sum.</returns>
    public static Tensor WeightedSum(Tensor weights, Tensor activations)
    {
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentNullException.ThrowIfNull(activations);
        using var scope = NewDisposeScope();
        return (weights.unsqueeze(-1).unsqueeze(-1) * activations).sum(1).MoveToOuterDisposeScope();
    }
}
