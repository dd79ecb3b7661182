using static TorchSharp.torch;

namespace Saliency.Evaluation;

/// <summary>One step of the cascade: the layers randomized so far and the similarity of each method's maps to the original maps.</summary>
/// <param name="Layer">The layer randomized at this step (<c>original</c> for step 0).</param>
/// <param name="Spearman">Per method, the mean Spearman rank correlation between original and randomized maps.</param>
/// <param name="Ssim">Per method, the mean SSIM between original and randomized maps.</param>
public sealed record RandomizationStep(string Layer, IReadOnlyDictionary<string, double> Spearman, IReadOnlyDictionary<string, double> Ssim);

/// <summary>
/// The model-parameter randomization test of Adebayo et al. ("Sanity Checks for Saliency Maps", NeurIPS 2018), in its
/// cascading form: the model's parameterised layers are randomized one after another from the output down, and after
/// each step every method's maps are compared with its maps on the trained model. A method whose maps stay the same
/// while the model is destroyed does not explain the model.
/// </summary>
public static class SanityCheck
{
    /// <summary>The name of step 0, the trained model.</summary>
    public const string Original = "original";

    /// <summary>
    /// The layers the cascade randomizes, output first: every submodule that owns parameters directly (convolutions,
    /// linear layers, normalisations) in the reverse of the order a forward of <paramref name="input"/> runs them
    /// (modules a forward does not reach through <c>call</c> come last, in reverse registration order).
    /// </summary>
    /// <param name="model">The model.</param>
    /// <param name="input">An input to run once, without gradients, to find the execution order.</param>
    /// <returns>Module names (as <c>named_modules</c> gives them).</returns>
    public static IReadOnlyList<string> RandomizationOrder(nn.Module<Tensor, Tensor> model, Tensor input)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(input);
        var owners = model.named_modules().Where(m => m.name.Length > 0 && m.module.named_parameters(recurse: false).Any()).ToList();
        var executed = new List<string>();
        var removers = owners
            .Where(m => m.module is nn.Module<Tensor, Tensor>)
            .Select(m => ((nn.Module<Tensor, Tensor>)m.module).register_forward_hook((_, _, output) =>
            {
                if (!executed.Contains(m.name))
                {
                    executed.Add(m.name);
                }

                return output;
            }))
            .ToList();
        var training = model.training;
        try
        {
            using var noGrad = no_grad();
            using var scope = NewDisposeScope();
            model.eval();
            model.call(input);
        }
        finally
        {
            removers.ForEach(r => r.remove());
            model.train(training);
        }

        executed.Reverse();
        return [.. executed, .. owners.Select(m => m.name).Where(n => !executed.Contains(n)).Reverse()];
    }

    /// <summary>
    /// Runs the cascade on <paramref name="inputs"/> and restores the model's parameters afterwards (also on failure).
    /// Each randomized parameter is redrawn from a Gaussian with its own trained mean and standard deviation, so the
    /// scale of every layer is kept and only what it learned is destroyed.
    /// </summary>
    /// <param name="host">The host that explains.</param>
    /// <param name="model">The model (its parameters are changed during the run and restored).</param>
    /// <param name="inputs">The inputs <c>[B,C,H,W]</c>.</param>
    /// <param name="targets">One target class per input.</param>
    /// <param name="methods">The method ids.</param>
    /// <param name="seed">Seeds the randomization.</param>
    /// <param name="progress">Receives the number of steps done; may be <see langword="null"/>.</param>
    /// <param name="cancellation">Stops between steps.</param>
    /// <returns>Step 0 (the trained model, similarity 1) and one step per randomized layer.</returns>
    public static IReadOnlyList<RandomizationStep> CascadingRandomization(
        SaliencyHost host, IExplainable model, Tensor inputs, IReadOnlyList<long> targets, IReadOnlyList<string> methods,
        int seed = 0, IProgress<int>? progress = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(methods);
        var module = model.Module;
        var layers = RandomizationOrder(module, inputs[..1]);
        var saved = module.named_parameters().Select(p => (p.parameter, copy: p.parameter.detach().clone().DetachFromDisposeScope())).ToList();
        try
        {
            var original = Explain(host, model, inputs, targets, methods, cancellation);
            var steps = new List<RandomizationStep> { Compare(Original, original, original) };
            progress?.Report(1);
            var generator = new Generator((ulong)seed);
            foreach (var layer in layers)
            {
                cancellation.ThrowIfCancellationRequested();
                Randomize(module, layer, generator);
                steps.Add(Compare(layer, original, Explain(host, model, inputs, targets, methods, cancellation)));
                progress?.Report(steps.Count);
            }

            return steps;
        }
        finally
        {
            using var noGrad = no_grad();
            foreach (var (parameter, copy) in saved)
            {
                parameter.copy_(copy);
                copy.Dispose();
            }
        }
    }

    /// <summary>Spearman's rank correlation of two equally long series (average ranks for ties; 1 when both are constant, as identical rankings, and 0 when only one is).</summary>
    /// <param name="a">First series.</param>
    /// <param name="b">Second series.</param>
    /// <returns>The correlation in <c>[−1,1]</c>.</returns>
    public static double Spearman(IReadOnlyList<float> a, IReadOnlyList<float> b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.Count != b.Count)
        {
            throw new ArgumentException($"Spearman needs series of one length, not {a.Count} and {b.Count}.");
        }

        return Pearson(Ranks(a), Ranks(b));
    }

    /// <summary>
    /// The structural similarity index (Wang et al. 2004) of two maps in <c>[0,1]</c>: the mean over 7×7 windows of
    /// <c>(2μ_aμ_b + C1)(2σ_ab + C2) / ((μ_a² + μ_b² + C1)(σ_a² + σ_b² + C2))</c> with <c>C1 = 0.01²</c>, <c>C2 = 0.03²</c>
    /// (scikit-image's defaults for data range 1; windows lie wholly inside the map).
    /// </summary>
    /// <param name="a">First map.</param>
    /// <param name="b">Second map, of the same size.</param>
    /// <returns>SSIM, 1 for identical maps.</returns>
    public static double Ssim(SaliencyMap a, SaliencyMap b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.Width != b.Width || a.Height != b.Height)
        {
            throw new ArgumentException($"SSIM needs maps of one size, not {a.Width}×{a.Height} and {b.Width}×{b.Height}.");
        }

        const double C1 = 0.01 * 0.01, C2 = 0.03 * 0.03;
        var window = Math.Min(7, Math.Min(a.Width, a.Height));
        var n = window * window;
        var total = 0.0;
        var count = 0;
        for (var y = 0; y + window <= a.Height; y++)
        {
            for (var x = 0; x + window <= a.Width; x++)
            {
                double sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
                for (var dy = 0; dy < window; dy++)
                {
                    for (var dx = 0; dx < window; dx++)
                    {
                        double va = a[x + dx, y + dy], vb = b[x + dx, y + dy];
                        (sa, sb, saa, sbb, sab) = (sa + va, sb + vb, saa + (va * va), sbb + (vb * vb), sab + (va * vb));
                    }
                }

                var (ma, mb) = (sa / n, sb / n);
                var unbiased = n / (n - 1.0);
                var va2 = ((saa / n) - (ma * ma)) * unbiased;
                var vb2 = ((sbb / n) - (mb * mb)) * unbiased;
                var cov = ((sab / n) - (ma * mb)) * unbiased;
                total += ((2 * ma * mb) + C1) * ((2 * cov) + C2) / (((ma * ma) + (mb * mb) + C1) * (va2 + vb2 + C2));
                count++;
            }
        }

        return total / count;
    }

    private static void Randomize(nn.Module model, string layer, Generator generator)
    {
        var module = model.named_modules().First(m => m.name == layer).module;
        using var noGrad = no_grad();
        foreach (var (_, parameter) in module.named_parameters(recurse: false))
        {
            using var scope = NewDisposeScope();
            var mean = parameter.mean().item<float>();
            var std = parameter.numel() > 1 ? parameter.std().item<float>() : 0f;
            var noise = randn(parameter.shape, dtype: parameter.dtype, generator: generator);
            parameter.copy_((noise * (std > 0 ? std : 1f)) + mean);
        }
    }

    private static Dictionary<string, SaliencyMap[]> Explain(SaliencyHost host, IExplainable model, Tensor inputs, IReadOnlyList<long> targets, IReadOnlyList<string> methods, CancellationToken cancellation)
    {
        var maps = new Dictionary<string, SaliencyMap[]>(StringComparer.Ordinal);
        foreach (var method in methods)
        {
            using var result = host.Explain(model, inputs, new ExplainRequest(method) { Targets = targets }, cancellation);
            maps[method] = MapReader.Read(result.Map);
        }

        return maps;
    }

    private static RandomizationStep Compare(string layer, Dictionary<string, SaliencyMap[]> original, Dictionary<string, SaliencyMap[]> randomized)
    {
        var spearman = new Dictionary<string, double>(StringComparer.Ordinal);
        var ssim = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var (method, maps) in original)
        {
            spearman[method] = maps.Select((m, i) => Spearman(m.Values, randomized[method][i].Values)).Average();
            ssim[method] = maps.Select((m, i) => Ssim(m, randomized[method][i])).Average();
        }

        return new RandomizationStep(layer, spearman, ssim);
    }

    private static double[] Ranks(IReadOnlyList<float> values)
    {
        var order = Enumerable.Range(0, values.Count).OrderBy(i => values[i]).ToArray();
        var ranks = new double[values.Count];
        for (var start = 0; start < order.Length;)
        {
            var end = start;
            while (end + 1 < order.Length && values[order[end + 1]] == values[order[start]])
            {
                end++;
            }

            var rank = (start + end) / 2.0;
            for (var i = start; i <= end; i++)
            {
                ranks[order[i]] = rank;
            }

            start = end + 1;
        }

        return ranks;
    }

    private static double Pearson(double[] a, double[] b)
    {
        var (ma, mb) = (a.Average(), b.Average());
        double cov = 0, va = 0, vb = 0;
        for (var i = 0; i < a.Length; i++)
        {
            (cov, va, vb) = (cov + ((a[i] - ma) * (b[i] - mb)), va + ((a[i] - ma) * (a[i] - ma)), vb + ((b[i] - mb) * (b[i] - mb)));
        }

        return va > 0 && vb > 0 ? cov / Math.Sqrt(va * vb) : va == 0 && vb == 0 ? 1 : 0;
    }
}
