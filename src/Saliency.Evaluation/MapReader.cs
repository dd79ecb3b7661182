using static TorchSharp.torch;

namespace Saliency.Evaluation;

/// <summary>Copies a result's maps out of libtorch.</summary>
public static class MapReader
{
    /// <summary>The maps of a <c>[B,H,W]</c> tensor, one per item.</summary>
    /// <param name="maps">The maps (any device, any float type).</param>
    /// <returns>One <see cref="SaliencyMap"/> per item.</returns>
    public static SaliencyMap[] Read(Tensor maps)
    {
        ArgumentNullException.ThrowIfNull(maps);
        if (maps.dim() != 3)
        {
            throw new ArgumentException($"Expected maps [B,H,W], got [{string.Join(",", maps.shape)}].", nameof(maps));
        }

        var (count, height, width) = ((int)maps.shape[0], (int)maps.shape[1], (int)maps.shape[2]);
        using var scope = NewDisposeScope();
        var values = maps.detach().to_type(ScalarType.Float32).cpu().contiguous().data<float>().ToArray();
        return [.. Enumerable.Range(0, count).Select(i => new SaliencyMap(values[(i * height * width)..((i + 1) * height * width)], width, height))];
    }
}
