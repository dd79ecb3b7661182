namespace Saliency.Evaluation;

/// <summary>
/// Localization metrics of one map against the ground-truth boxes of one image. Negative map values count as zero
/// energy; a target with several boxes (several instances) is scored against the best of them.
/// </summary>
public static class Localization
{
    /// <summary>The CAM paper's threshold: the region above 20% of the map's maximum.</summary>
    public const double CamThreshold = 0.2;

    /// <summary>
    /// Pointing game (Zhang et al., "Top-down Neural Attention by Excitation Backprop", IJCV 2018): a hit when the
    /// map's maximum lies inside a box of the target, or within <paramref name="tolerance"/> pixels of one.
    /// </summary>
    /// <param name="map">The map.</param>
    /// <param name="targetBoxes">The target class's boxes in this image (at least one).</param>
    /// <param name="tolerance">Pixels of tolerance (Zhang et al. use 15 on PASCAL VOC); 0 requires the peak inside.</param>
    /// <returns><see langword="true"/> for a hit.</returns>
    public static bool PointingGame(SaliencyMap map, IReadOnlyList<BoundingBox> targetBoxes, int tolerance = 0)
    {
        ArgumentNullException.ThrowIfNull(map);
        ArgumentNullException.ThrowIfNull(targetBoxes);
        ArgumentOutOfRangeException.ThrowIfNegative(tolerance);
        var (x, y) = map.ArgMax();
        return targetBoxes.Any(box => box.DistanceTo(x, y) <= tolerance);
    }

    /// <summary>
    /// Energy-based pointing game (Wang et al., "Score-CAM", CVPR-W 2020): the share of the map's mass that falls inside
    /// the target's boxes, <c>Σ_{in boxes} m / Σ m</c> (0 for an empty map).
    /// </summary>
    /// <param name="map">The map.</param>
    /// <param name="targetBoxes">The target class's boxes.</param>
    /// <returns>The share in <c>[0,1]</c>.</returns>
    public static double EnergyPointing(SaliencyMap map, IReadOnlyList<BoundingBox> targetBoxes)
    {
        ArgumentNullException.ThrowIfNull(map);
        var (inside, total) = Energy(map, targetBoxes, null);
        return total > 0 ? inside / total : 0;
    }

    /// <summary>
    /// The target's share of the mass inside all of the image's annotated boxes, <c>Σ_{target boxes} m / Σ_{all boxes} m</c>:
    /// the energy-based pointing game restricted to the annotated objects, which asks whether the map tells the target
    /// from the other objects regardless of the background (0 when the boxes hold no mass).
    /// </summary>
    /// <param name="map">The map.</param>
    /// <param name="targetBoxes">The target class's boxes.</param>
    /// <param name="allBoxes">Every box of the image, the target's included.</param>
    /// <returns>The share in <c>[0,1]</c>.</returns>
    public static double EnergyShareAmongObjects(SaliencyMap map, IReadOnlyList<BoundingBox> targetBoxes, IReadOnlyList<BoundingBox> allBoxes)
    {
        ArgumentNullException.ThrowIfNull(map);
        ArgumentNullException.ThrowIfNull(allBoxes);
        var (inside, objects) = Energy(map, targetBoxes, allBoxes);
        return objects > 0 ? inside / objects : 0;
    }

    /// <summary>
    /// The CAM paper's box (Zhou et al., "Learning Deep Features for Discriminative Localization", CVPR 2016): the
    /// bounding box of the largest 8-connected region of pixels above <paramref name="threshold"/> of the map's
    /// maximum (ties: the region found first in row-major order). <see langword="null"/> when the map's maximum is not
    /// positive.
    /// </summary>
    /// <param name="map">The map.</param>
    /// <param name="threshold">The fraction of the maximum a pixel must exceed.</param>
    /// <returns>The box, or <see langword="null"/>.</returns>
    public static BoundingBox? CamBox(SaliencyMap map, double threshold = CamThreshold)
    {
        ArgumentNullException.ThrowIfNull(map);
        var (px, py) = map.ArgMax();
        var peak = map[px, py];
        if (!(peak > 0))
        {
            return null;
        }

        var cut = threshold * peak;
        var (width, height) = (map.Width, map.Height);
        var seen = new bool[width * height];
        var stack = new Stack<int>();
        BoundingBox? best = null;
        var bestSize = 0;
        for (var start = 0; start < seen.Length; start++)
        {
            if (seen[start] || !(map.Values[start] > cut))
            {
                continue;
            }

            var (x0, y0, x1, y1, size) = (int.MaxValue, int.MaxValue, int.MinValue, int.MinValue, 0);
            seen[start] = true;
            stack.Push(start);
            while (stack.Count > 0)
            {
                var index = stack.Pop();
                var (x, y) = (index % width, index / width);
                (x0, y0, x1, y1, size) = (Math.Min(x0, x), Math.Min(y0, y), Math.Max(x1, x), Math.Max(y1, y), size + 1);
                for (var dy = -1; dy <= 1; dy++)
                {
                    for (var dx = -1; dx <= 1; dx++)
                    {
                        var (nx, ny) = (x + dx, y + dy);
                        if (nx < 0 || ny < 0 || nx >= width || ny >= height)
                        {
                            continue;
                        }

                        var neighbour = (ny * width) + nx;
                        if (!seen[neighbour] && map.Values[neighbour] > cut)
                        {
                            seen[neighbour] = true;
                            stack.Push(neighbour);
                        }
                    }
                }
            }

            if (size > bestSize)
            {
                (best, bestSize) = (new BoundingBox(x0, y0, x1 + 1, y1 + 1), size);
            }
        }

        return best;
    }

    /// <summary>The best IoU between the map's <see cref="CamBox"/> and one of the target's boxes (0 without a CAM box).</summary>
    /// <param name="map">The map.</param>
    /// <param name="targetBoxes">The target class's boxes.</param>
    /// <param name="threshold">The CAM rule's fraction of the maximum.</param>
    /// <returns>The IoU in <c>[0,1]</c>.</returns>
    public static double BoxIoU(SaliencyMap map, IReadOnlyList<BoundingBox> targetBoxes, double threshold = CamThreshold)
    {
        ArgumentNullException.ThrowIfNull(targetBoxes);
        return CamBox(map, threshold) is { } box && targetBoxes.Count > 0 ? targetBoxes.Max(box.IoU) : 0;
    }

    private static (double Target, double Reference) Energy(SaliencyMap map, IReadOnlyList<BoundingBox> targetBoxes, IReadOnlyList<BoundingBox>? referenceBoxes)
    {
        ArgumentNullException.ThrowIfNull(targetBoxes);
        double target = 0, reference = 0;
        for (var y = 0; y < map.Height; y++)
        {
            for (var x = 0; x < map.Width; x++)
            {
                var value = Math.Max(0, map[x, y]);
                if (InAny(targetBoxes, x, y))
                {
                    target += value;
                }

                if (referenceBoxes is null || InAny(referenceBoxes, x, y))
                {
                    reference += value;
                }
            }
        }

        return (target, reference);
    }

    private static bool InAny(IReadOnlyList<BoundingBox> boxes, int x, int y)
    {
        for (var i = 0; i < boxes.Count; i++)
        {
            if (boxes[i].Contains(x, y))
            {
                return true;
            }
        }

        return false;
    }
}
