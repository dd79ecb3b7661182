using static TorchSharp.torch;

namespace Saliency;

/// <summary>What every result must satisfy, whichever plugin made it: a finite map <c>[B,H,W]</c> in <c>[0,1]</c> and a raw output whose first dimension is the batch.</summary>
internal static class ResultValidator
{
    /// <summary>What is wrong with <paramref name="result"/> for a batch <paramref name="input"/>, or <see langword="null"/>.</summary>
    public static string? Problem(SaliencyResult result, Tensor input)
    {
        var batch = input.shape[0];
        long[] expected = [batch, input.shape[2], input.shape[3]];
        if (!result.Map.shape.SequenceEqual(expected))
        {
            return $"returned a map of shape [{string.Join(",", result.Map.shape)}]; expected [B,H,W] = [{string.Join(",", expected)}]";
        }

        if (result.Raw.dim() == 0 || result.Raw.shape[0] != batch)
        {
            return $"returned raw output of shape [{string.Join(",", result.Raw.shape)}]; its first dimension must be the batch size {batch}";
        }

        if (!result.Map.is_floating_point())
        {
            return $"returned a {result.Map.dtype} map; maps are floating-point";
        }

        using var scope = NewDisposeScope();
        if (!result.Map.isfinite().all().item<bool>())
        {
            return "returned a map with NaN or infinite values";
        }

        var (min, max) = (result.Map.min().item<float>(), result.Map.max().item<float>());
        return min < -1e-5f || max > 1 + 1e-5f ? $"returned a map with values in [{min}, {max}]; maps lie in [0,1]" : null;
    }
}
