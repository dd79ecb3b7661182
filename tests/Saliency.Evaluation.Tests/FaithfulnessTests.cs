using Saliency.Evaluation;
using static TorchSharp.torch;

namespace Saliency.Tests;

/// <summary>
/// A 4×4 one-channel input whose "model" scores class 0 as the sum of the pixels in the top-left 2×2 block (and class 1
/// as a constant), so every score along a curve can be worked out by hand.
/// </summary>
public sealed class FaithfulnessTests
{
    private static readonly int[] s_block = [0, 1, 4, 5];

    private static readonly InputImage s_image = new(
        [1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], 1, 4, 4, [0f]);

    private static ModelScorer BlockScorer(ScoreKind kind = ScoreKind.Logit) => new(
        input => stack([input[.., 0, ..2, ..2].sum([1, 2]), ones(input.shape[0])], 1), kind);

    /// <summary>1 on the block, 0 elsewhere: the perfect map.</summary>
    private static SaliencyMap Perfect() => new([.. Enumerable.Range(0, 16).Select(i => s_block.Contains(i) ? 1f : 0f)], 4, 4);

    /// <summary>The perfect map upside down: the block ranked last.</summary>
    private static SaliencyMap Inverse() => new([.. Enumerable.Range(0, 16).Select(i => s_block.Contains(i) ? 0f : 1f)], 4, 4);

    [Fact]
    public void A_perfect_maps_deletion_curve_falls_first()
    {
        // Four steps of four pixels: the perfect map deletes the whole block in step 1, the inverse map in step 4.
        var perfect = Faithfulness.DeletionCurve(BlockScorer(), s_image, Perfect(), 0, steps: 4);
        var inverse = Faithfulness.DeletionCurve(BlockScorer(), s_image, Inverse(), 0, steps: 4);

        perfect.Should().Equal(4, 0, 0, 0, 0);
        inverse.Should().Equal(4, 4, 4, 4, 0);
        Faithfulness.Auc(perfect).Should().BeApproximately(0.5, 1e-12);
        Faithfulness.Auc(inverse).Should().BeApproximately(3.5, 1e-12);
    }

    [Fact]
    public void A_perfect_maps_insertion_curve_rises_first()
    {
        var perfect = Faithfulness.InsertionCurve(BlockScorer(), s_image, Perfect(), 0, steps: 4);
        var inverse = Faithfulness.InsertionCurve(BlockScorer(), s_image, Inverse(), 0, steps: 4);

        // Both start from the blurred input, whose block sums to less than 4, and end at the input.
        perfect[0].Should().BeLessThan(4).And.Be(inverse[0]);
        perfect.Skip(1).Should().AllSatisfy(v => v.Should().BeApproximately(4, 1e-5));
        inverse[^1].Should().BeApproximately(4, 1e-5);
        Faithfulness.Auc(perfect).Should().BeGreaterThan(Faithfulness.Auc(inverse));
    }

    [Fact]
    public void Masking_by_the_map_gives_the_hand_computed_confidences()
    {
        Faithfulness.Confidence(BlockScorer(), s_image, Perfect(), 0).Should().Be((4.0, 4.0));
        var half = new SaliencyMap([.. Enumerable.Repeat(0.5f, 16)], 4, 4);
        Faithfulness.Confidence(BlockScorer(), s_image, half, 0).Should().Be((4.0, 2.0));

        (double, double)[] pairs = [(4, 2), (4, 5), (2, 2), (1, 0)];
        Faithfulness.AverageDrop(pairs).Should().BeApproximately((0.5 + 0 + 0 + 1) / 4, 1e-12);
        Faithfulness.IncreaseInConfidence(pairs).Should().Be(0.25);
    }

    [Fact]
    public void Softmax_scores_are_probabilities_of_the_target()
    {
        // logits (4, 1) → softmax of class 0 = e⁴ / (e⁴ + e¹).
        var score = BlockScorer(ScoreKind.Softmax).Score([s_image.Values], s_image.Shape, 0);
        score.Should().ContainSingle().Which.Should().BeApproximately(Math.Exp(4) / (Math.Exp(4) + Math.E), 1e-6);
    }

    [Fact]
    public void Linear_imputation_keeps_a_constant_and_reproduces_a_ramp_inside()
    {
        var random = new Random(1);
        var constant = new InputImage([.. Enumerable.Repeat(0.7f, 64)], 1, 8, 8, [0f]);
        var removed = new bool[64];
        foreach (var p in new[] { 0, 9, 18, 27, 28, 35, 36, 63 })
        {
            removed[p] = true;
        }

        // Conjugate gradients stop at a residual of 1e-3 of the right-hand side: values within about 1e-3.
        Faithfulness.NoisyLinearImputation(constant, removed, 0, random).Should().AllSatisfy(v => v.Should().BeApproximately(0.7f, 1e-3f));

        // An interior block of a ramp: the 8-neighbour stencil is symmetric, so a linear image is its own imputation.
        var ramp = new InputImage([.. Enumerable.Range(0, 64).Select(i => (i % 8) * 0.1f)], 1, 8, 8, [0f]);
        var block = new bool[64];
        foreach (var p in new[] { 18, 19, 20, 26, 27, 28, 34, 35, 36 })
        {
            block[p] = true;
        }

        var imputed = Faithfulness.NoisyLinearImputation(ramp, block, 0, random);
        imputed.Should().Equal(ramp.Values, (a, b) => Math.Abs(a - b) < 1e-3);
    }

    [Fact]
    public void Imputation_noise_has_the_asked_spread_and_touches_only_removed_pixels()
    {
        var image = new InputImage(new float[400], 1, 20, 20, [0f]);
        var removed = Enumerable.Range(0, 400).Select(p => p % 2 == 0).ToArray();
        var imputed = Faithfulness.NoisyLinearImputation(image, removed, 0.5, new Random(3));
        var noise = imputed.Where((_, p) => removed[p]).Select(v => (double)v).ToList();
        imputed.Where((_, p) => !removed[p]).Should().AllSatisfy(v => v.Should().Be(0));
        Math.Sqrt(noise.Average(v => v * v)).Should().BeInRange(0.4, 0.6);
    }

    [Fact]
    public void Road_removing_the_relevant_block_first_drops_the_score_and_removing_the_rest_first_keeps_it()
    {
        var morf = Faithfulness.RoadCurve(BlockScorer(), s_image, Perfect(), 0, [0.25], mostRelevantFirst: true, seed: 1);
        var lerf = Faithfulness.RoadCurve(BlockScorer(), s_image, Perfect(), 0, [0.25], mostRelevantFirst: false, seed: 1);

        // MoRF imputes the block from its zero neighbours (plus 0.01 noise); LeRF removes background pixels only.
        morf.Should().ContainSingle().Which.Should().BeInRange(-0.1, 0.1);
        lerf.Should().Equal(4);
    }

    [Fact]
    public void A_map_at_another_resolution_is_refused()
    {
        var act = () => Faithfulness.DeletionCurve(BlockScorer(), s_image, new SaliencyMap(new float[4], 2, 2), 0);
        act.Should().Throw<ArgumentException>().WithMessage("The map is 2×2 but the input 4×4; faithfulness needs the map at input resolution.");
    }
}
