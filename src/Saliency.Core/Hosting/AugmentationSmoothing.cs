using TorchSharp;
using static TorchSharp.torch;

namespace Saliency;

/// <summary>
/// The <c>aug-smooth</c> option (pytorch-grad-cam's <c>aug_smooth</c>, test-time augmentation): the request is explained
/// on six variants of the batch — unflipped and flipped left-right, each multiplied by 0.9, 1 and 1.1 (ttach's
/// <c>HorizontalFlip</c> × <c>Multiply([0.9, 1, 1.1])</c>) — every variant's maps are flipped back, and the six are
/// averaged (not rescaled, as pytorch-grad-cam). The averaged <see cref="SaliencyResult.Raw"/> follows the same rule.
/// </summary>
/// <remarks>
/// One difference, by design: pytorch-grad-cam takes each variant's own argmax when no target is given; here the
/// unaugmented batch's classes are explained in all six variants, so the average explains one class per item (the
/// same numbers whenever a flip or a ±10% contrast change does not change the prediction). A
/// <see cref="SegmentationTarget"/> is refused: its mask lies in the output's pixels and would have to flip too.
/// </remarks>
internal static class AugmentationSmoothing
{
    /// <summary>The option's key (<see cref="CamMethod.AugSmoothOption"/>).</summary>
    public const string Option = CamMethod.AugSmoothOption;

    // The unaugmented variant first: its classes are the ones every other variant explains.
    // Static Scalars: TorchSharp does not keep an implicitly converted Scalar alive while native code reads it.
    private static readonly (bool Flip, double Factor)[] s_variants = [(false, 1.0), (false, 0.9), (false, 1.1), (true, 0.9), (true, 1.0), (true, 1.1)];
    private static readonly Dictionary<double, Scalar> s_factors = s_variants.Select(v => v.Factor).Distinct().ToDictionary(f => f, f => f.ToScalar());

    /// <summary>Whether <paramref name="request"/> asks for smoothing (an unreadable value is an error naming it).</summary>
    public static bool IsRequested(ExplainRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!request.Options.TryGetValue(Option, out var text))
        {
            return false;
        }

        return bool.TryParse(text, out var on)
            ? on
            : throw new ArgumentException($"Option '{Option}' of method '{request.Method}' must be true or false; got '{text}'.", nameof(request));
    }

    /// <summary>
    /// Explains <paramref name="request"/> on the six variants of <paramref name="input"/> with
    /// <paramref name="explain"/> (one unsmoothed request at a time) and averages the de-augmented results.
    /// </summary>
    public static SaliencyResult Explain(ExplainRequest request, Tensor input, Func<Tensor, ExplainRequest, SaliencyResult> explain, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(explain);
        if (request.Target is SegmentationTarget)
        {
            throw new ArgumentException(
                $"Option '{Option}' of method '{request.Method}' cannot be used with a segmentation target: the variants are flipped left-right, and the target's mask would have to flip with them. Leave the option out, or explain the flipped image with a flipped mask yourself.",
                nameof(request));
        }

        var options = request.Options.Where(o => o.Key != Option).ToDictionary(o => o.Key, o => o.Value, StringComparer.Ordinal);
        var plain = request with { Options = options };
        var results = new List<SaliencyResult>(s_variants.Length);
        try
        {
            foreach (var (flip, factor) in s_variants)
            {
                cancellation.ThrowIfCancellationRequested();
                using var scope = NewDisposeScope();
                var variant = flip ? input.flip(-1) : input;
                if (factor != 1.0)
                {
                    variant = variant.mul(s_factors[factor]);
                }

                results.Add(explain(variant, plain));
                if (results.Count == 1 && plain.Target is null && plain.Targets is null)
                {
                    using var classes = results[0].Targets.cpu();
                    plain = plain with { Targets = classes.data<long>().ToArray() };
                }
            }

            return Average(results, s_variants);
        }
        finally
        {
            foreach (var result in results)
            {
                result.Dispose();
            }
        }
    }

    private static SaliencyResult Average(List<SaliencyResult> results, (bool Flip, double Factor)[] variants)
    {
        using var scope = NewDisposeScope();
        var maps = results.Select((r, i) => variants[i].Flip ? r.Map.flip(-1) : r.Map);
        var raws = results.Select((r, i) => variants[i].Flip ? r.Raw.flip(-1) : r.Raw);
        var first = results[0];
        var map = stack(maps, 0).mean([0]);
        var raw = stack(raws, 0).mean([0]);
        var warnings = results.SelectMany(r => r.Warnings).Distinct(StringComparer.Ordinal).ToList();
        return new SaliencyResult(first.Method, first.Layer, first.Targets.clone(), raw, map, warnings);
    }
}
