namespace Saliency.Evaluation;

/// <summary>
/// Faithfulness metrics: do the pixels a map calls relevant move the model's score? Each runs the model on perturbed
/// copies of the input through a <see cref="ModelScorer"/>.
/// </summary>
public static class Faithfulness
{
    /// <summary>
    /// The deletion curve (Petsiuk et al., "RISE", BMVC 2018): the target's score as the most relevant pixels are
    /// replaced by the baseline, <paramref name="steps"/> equal steps from none to all (<c>steps + 1</c> points). A
    /// faithful map makes it fall early: a low area under it is good.
    /// </summary>
    /// <param name="scorer">The model.</param>
    /// <param name="image">The input.</param>
    /// <param name="map">The map at input resolution.</param>
    /// <param name="target">The class.</param>
    /// <param name="steps">Steps from the full input to the all-baseline input.</param>
    /// <returns>The scores.</returns>
    public static double[] DeletionCurve(ModelScorer scorer, InputImage image, SaliencyMap map, long target, int steps = 16)
    {
        Check(scorer, image, map);
        var start = (float[])image.Values.Clone();
        var finish = Fill(image, image.Baseline);
        return Curve(scorer, image, map, target, steps, start, finish);
    }

    /// <summary>
    /// The insertion curve (Petsiuk et al. 2018): the target's score as the most relevant pixels are copied from the
    /// input into a blurred copy of it (Gaussian, σ = 5 px as in RISE), <c>steps + 1</c> points. A faithful map makes
    /// it rise early: a high area under it is good.
    /// </summary>
    /// <param name="scorer">The model.</param>
    /// <param name="image">The input.</param>
    /// <param name="map">The map at input resolution.</param>
    /// <param name="target">The class.</param>
    /// <param name="steps">Steps from the blurred input to the full input.</param>
    /// <returns>The scores.</returns>
    public static double[] InsertionCurve(ModelScorer scorer, InputImage image, SaliencyMap map, long target, int steps = 16)
    {
        Check(scorer, image, map);
        return Curve(scorer, image, map, target, steps, GaussianBlur(image, 5.0), image.Values);
    }

    /// <summary>The normalised area under a curve of equally spaced points (trapezoids; the x axis spans <c>[0,1]</c>).</summary>
    /// <param name="curve">At least two points.</param>
    /// <returns>The area.</returns>
    public static double Auc(IReadOnlyList<double> curve)
    {
        ArgumentNullException.ThrowIfNull(curve);
        ArgumentOutOfRangeException.ThrowIfLessThan(curve.Count, 2);
        var area = 0.0;
        for (var i = 1; i < curve.Count; i++)
        {
            area += (curve[i - 1] + curve[i]) / 2;
        }

        return area / (curve.Count - 1);
    }

    /// <summary>
    /// The scores behind average drop and increase in confidence (Chattopadhyay et al., "Grad-CAM++", WACV 2018): the
    /// target's score <c>Y</c> on the input and <c>O</c> on the input masked by the map (each pixel moved towards the
    /// baseline in proportion to <c>1 − map</c>, so the map must lie in <c>[0,1]</c>).
    /// </summary>
    /// <param name="scorer">The model.</param>
    /// <param name="image">The input.</param>
    /// <param name="map">The map at input resolution, in <c>[0,1]</c>.</param>
    /// <param name="target">The class.</param>
    /// <returns><c>Y</c> and <c>O</c>.</returns>
    public static (double Original, double Masked) Confidence(ModelScorer scorer, InputImage image, SaliencyMap map, long target)
    {
        Check(scorer, image, map);
        var masked = new float[image.Values.Length];
        for (var c = 0; c < image.Channels; c++)
        {
            for (var p = 0; p < image.Pixels; p++)
            {
                var i = (c * image.Pixels) + p;
                var weight = Math.Clamp(map.Values[p], 0f, 1f);
                masked[i] = image.Baseline[c] + (weight * (image.Values[i] - image.Baseline[c]));
            }
        }

        var scores = scorer.Score([image.Values, masked], image.Shape, target);
        return (scores[0], scores[1]);
    }

    /// <summary>Average drop (Chattopadhyay et al. 2018) as a fraction: the mean of <c>max(0, Y − O) / Y</c>; lower is better.</summary>
    /// <param name="pairs">The <see cref="Confidence"/> pairs.</param>
    /// <returns>The average drop in <c>[0,1]</c> (0 when there are no pairs).</returns>
    public static double AverageDrop(IReadOnlyCollection<(double Original, double Masked)> pairs)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        return pairs.Count == 0 ? 0 : pairs.Average(p => p.Original > 0 ? Math.Max(0, p.Original - p.Masked) / p.Original : 0);
    }

    /// <summary>Increase in confidence (Chattopadhyay et al. 2018) as a fraction: the share of inputs with <c>O &gt; Y</c>; higher is better.</summary>
    /// <param name="pairs">The <see cref="Confidence"/> pairs.</param>
    /// <returns>The share in <c>[0,1]</c> (0 when there are no pairs).</returns>
    public static double IncreaseInConfidence(IReadOnlyCollection<(double Original, double Masked)> pairs)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        return pairs.Count == 0 ? 0 : pairs.Count(p => p.Masked > p.Original) / (double)pairs.Count;
    }

    /// <summary>
    /// ROAD (Rong et al., "A Consistent and Efficient Evaluation Strategy for Attribution Methods", ICML 2022): the
    /// target's score after removing each given share of the pixels, most relevant first (MoRF: a low curve is good) or
    /// least relevant first (LeRF: a high curve is good), the removed pixels filled by noisy linear imputation
    /// (<see cref="NoisyLinearImputation"/>) so that the shape of the removed region leaks no class information.
    /// </summary>
    /// <param name="scorer">The model.</param>
    /// <param name="image">The input.</param>
    /// <param name="map">The map at input resolution.</param>
    /// <param name="target">The class.</param>
    /// <param name="shares">Shares of the pixels to remove, each in <c>(0,1)</c>.</param>
    /// <param name="mostRelevantFirst"><see langword="true"/> for MoRF, <see langword="false"/> for LeRF.</param>
    /// <param name="seed">Seeds the imputation's noise.</param>
    /// <returns>One score per share.</returns>
    public static double[] RoadCurve(ModelScorer scorer, InputImage image, SaliencyMap map, long target, IReadOnlyList<double> shares, bool mostRelevantFirst, int seed = 0)
    {
        Check(scorer, image, map);
        ArgumentNullException.ThrowIfNull(shares);
        var order = map.RankDescending();
        if (!mostRelevantFirst)
        {
            Array.Reverse(order);
        }

        var random = new Random(seed);
        var inputs = new List<float[]>();
        foreach (var share in shares)
        {
            if (!(share > 0 && share < 1))
            {
                throw new ArgumentOutOfRangeException(nameof(shares), share, "ROAD removes a share of the pixels strictly between 0 and 1.");
            }

            var removed = new bool[image.Pixels];
            var count = (int)Math.Round(share * image.Pixels);
            for (var i = 0; i < count; i++)
            {
                removed[order[i]] = true;
            }

            inputs.Add(NoisyLinearImputation(image, removed, 0.01, random));
        }

        return scorer.Score(inputs, image.Shape, target);
    }

    /// <summary>
    /// ROAD's noisy linear imputation: every removed pixel takes the weighted mean of its 8 neighbours (weight 1/6 for
    /// the 4 direct ones, 1/12 for the diagonals) — one sparse linear system per channel over all removed pixels,
    /// solved by conjugate gradients — plus Gaussian noise of standard deviation <paramref name="noise"/>.
    /// </summary>
    /// <param name="image">The input.</param>
    /// <param name="removed">Per pixel, whether it is removed; at least one pixel must stay.</param>
    /// <param name="noise">The noise's standard deviation, in input units.</param>
    /// <param name="random">The noise's source.</param>
    /// <returns>The imputed input.</returns>
    public static float[] NoisyLinearImputation(InputImage image, bool[] removed, double noise, Random random)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(removed);
        ArgumentNullException.ThrowIfNull(random);
        image.Validate();
        if (removed.Length != image.Pixels || removed.All(r => r))
        {
            throw new ArgumentException("The removal mask needs one flag per pixel and must keep at least one pixel.", nameof(removed));
        }

        var result = (float[])image.Values.Clone();
        var unknowns = Enumerable.Range(0, image.Pixels).Where(p => removed[p]).ToArray();
        if (unknowns.Length == 0)
        {
            return result;
        }

        var system = new ImputationSystem(image.Width, image.Height, removed, unknowns);
        for (var c = 0; c < image.Channels; c++)
        {
            var channel = new ReadOnlySpan<float>(image.Values, c * image.Pixels, image.Pixels);
            var solution = system.Solve(channel);
            for (var u = 0; u < unknowns.Length; u++)
            {
                result[(c * image.Pixels) + unknowns[u]] = (float)(solution[u] + (noise * Gaussian(random)));
            }
        }

        return result;
    }

    /// <summary>A Gaussian blur of every channel (separable kernel of radius ⌈3σ⌉, edges clamped).</summary>
    /// <param name="image">The input.</param>
    /// <param name="sigma">The standard deviation in pixels.</param>
    /// <returns>The blurred input.</returns>
    public static float[] GaussianBlur(InputImage image, double sigma)
    {
        ArgumentNullException.ThrowIfNull(image);
        var radius = (int)Math.Ceiling(3 * sigma);
        var kernel = Enumerable.Range(-radius, (2 * radius) + 1).Select(d => Math.Exp(-(d * d) / (2 * sigma * sigma))).ToArray();
        var total = kernel.Sum();
        var (w, h) = (image.Width, image.Height);
        var result = new float[image.Values.Length];
        var row = new double[w * h];
        for (var c = 0; c < image.Channels; c++)
        {
            var offset = c * image.Pixels;
            for (var y = 0; y < h; y++)
            {
                for (var x = 0; x < w; x++)
                {
                    var sum = 0.0;
                    for (var k = -radius; k <= radius; k++)
                    {
                        sum += kernel[k + radius] * image.Values[offset + (y * w) + Math.Clamp(x + k, 0, w - 1)];
                    }

                    row[(y * w) + x] = sum / total;
                }
            }

            for (var y = 0; y < h; y++)
            {
                for (var x = 0; x < w; x++)
                {
                    var sum = 0.0;
                    for (var k = -radius; k <= radius; k++)
                    {
                        sum += kernel[k + radius] * row[(Math.Clamp(y + k, 0, h - 1) * w) + x];
                    }

                    result[offset + (y * w) + x] = (float)(sum / total);
                }
            }
        }

        return result;
    }

    private static double[] Curve(ModelScorer scorer, InputImage image, SaliencyMap map, long target, int steps, float[] start, float[] finish)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(steps, 1);
        var order = map.RankDescending();
        var inputs = new List<float[]> { (float[])start.Clone() };
        var current = (float[])start.Clone();
        for (var step = 1; step <= steps; step++)
        {
            var from = (int)((long)(step - 1) * image.Pixels / steps);
            var to = (int)((long)step * image.Pixels / steps);
            for (var i = from; i < to; i++)
            {
                for (var c = 0; c < image.Channels; c++)
                {
                    var index = (c * image.Pixels) + order[i];
                    current[index] = finish[index];
                }
            }

            inputs.Add((float[])current.Clone());
        }

        return scorer.Score(inputs, image.Shape, target);
    }

    private static float[] Fill(InputImage image, float[] perChannel)
    {
        var filled = new float[image.Values.Length];
        for (var c = 0; c < image.Channels; c++)
        {
            Array.Fill(filled, perChannel[c], c * image.Pixels, image.Pixels);
        }

        return filled;
    }

    private static void Check(ModelScorer scorer, InputImage image, SaliencyMap map)
    {
        ArgumentNullException.ThrowIfNull(scorer);
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(map);
        image.Validate();
        if (map.Width != image.Width || map.Height != image.Height)
        {
            throw new ArgumentException($"The map is {map.Width}×{map.Height} but the input {image.Width}×{image.Height}; faithfulness needs the map at input resolution.");
        }
    }

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
