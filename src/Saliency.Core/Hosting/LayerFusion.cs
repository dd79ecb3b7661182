using static TorchSharp.torch;

namespace Saliency;

/// <summary>
/// One result from a request's per-layer results (<see cref="ExplainRequest.Layers"/>), as pytorch-grad-cam
/// aggregates target layers: each layer's map (already scaled to <c>[0,1]</c> at input resolution) is clipped at 0,
/// the maps are averaged, and the mean is min-max scaled per item (ε = 1e-7). <see cref="SaliencyResult.Raw"/> holds
/// the mean <c>[B,H,W]</c>; <see cref="SaliencyResult.Layer"/> names the layers, comma-separated.
/// </summary>
internal static class LayerFusion
{
    /// <summary>Fuses the results (taking and disposing them); a single result is returned as it is.</summary>
    public static SaliencyResult Combine(IReadOnlyList<SaliencyResult> perLayer)
    {
        if (perLayer.Count == 1)
        {
            return perLayer[0];
        }

        try
        {
            using var scope = NewDisposeScope();
            var mean = stack(perLayer.Select(r => r.Map.relu()), 1).mean([1]);
            var map = SaliencyMaps.MinMaxNormalize(mean, SaliencyMaps.GradCamEpsilon);
            var first = perLayer[0];
            var layers = string.Join(",", perLayer.Select(r => r.Layer));
            var warnings = perLayer.SelectMany(r => r.Warnings).Distinct(StringComparer.Ordinal).ToList();
            return new SaliencyResult(first.Method, layers, first.Targets.clone(), mean, map, warnings);
        }
        finally
        {
            foreach (var result in perLayer)
            {
                result.Dispose();
            }
        }
    }
}
