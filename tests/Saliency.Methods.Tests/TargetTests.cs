using static TorchSharp.torch;

namespace Saliency.Tests;

/// <summary>
/// The common targets on models where the right answer is known: a segmentation mask over one object lights that
/// object; an embedding's similarity to a concept lights the object that carries the concept; a class's softmax
/// probability gives the Grad-CAM weights computed by hand.
/// </summary>
public sealed class TargetTests : IClassFixture<HostFixture>
{
    private static readonly (int Row, int Col) ObjectA = (2, 2);
    private static readonly (int Row, int Col) ObjectB = (10, 10);
    private readonly SaliencyHost _host;

    public TargetTests(HostFixture fixture) => _host = fixture.Host;

    [Theory]
    [InlineData("layer-cam")]
    [InlineData("guided-backprop")]
    public void A_segmentation_mask_over_one_object_lights_that_object_only(string method)
    {
        using var net = new TwoObjectSegmenter();
        var model = ExplainableModule.Create(net, ["features"]);
        using var image = TwoObjects(channels: 1);

        foreach (var (covered, other) in new[] { (ObjectA, ObjectB), (ObjectB, ObjectA) })
        {
            using var mask = Square(covered, 16);
            using var result = _host.Explain(model, image, new ExplainRequest(method) { Target = new SegmentationTarget(1, mask) });

            var inside = MassAround(result.Map, covered);
            var outside = MassAround(result.Map, other);
            inside.Should().BeGreaterThan(0.95, $"{method} with a mask over the object at {covered}");
            outside.Should().BeLessThan(0.01, $"{method} must not light the object at {other}");
        }
    }

    [Fact]
    public void An_embeddings_similarity_to_a_concept_lights_the_object_that_carries_it()
    {
        using var net = new TwoObjectEmbedder();
        var model = ExplainableModule.Create(net, ["features"]);
        using var image = TwoObjects(channels: 2);

        foreach (var (concept, carrier, other) in new[] { (new float[] { 1, 0 }, ObjectA, ObjectB), (new float[] { 0, 1 }, ObjectB, ObjectA) })
        {
            using var reference = tensor(concept);
            using var result = _host.Explain(model, image, new ExplainRequest("grad-cam") { Target = new EmbeddingSimilarityTarget(reference) });

            MassAround(result.Map, carrier).Should().BeGreaterThan(0.95);
            MassAround(result.Map, other).Should().BeLessThan(0.01);
        }
    }

    [Fact]
    public void A_class_probability_target_gives_the_grad_cam_weights_computed_by_hand()
    {
        using var reference = ReferenceCase.Load("gapnet");
        using var model = Models.Load(reference);
        var classes = reference.Targets(@explicit: true);

        using var result = _host.Explain(model, reference.Input, new ExplainRequest("grad-cam") { Target = new ClassProbabilityTarget(classes) });
        using var capture = SaliencyEngine.Capture(model, reference.Input, gradients: false);

        // GAP + Linear: ∂p_c/∂A_k(i,j) = p_c·(W_ck − Σ_j p_j·W_jk)/(h·w), the same at every (i,j), so it is α_k itself.
        var weight = model.ClassifierHead!.weight!;
        using var p = capture.Logits.softmax(1);
        using var c = tensor(classes);
        using var pc = p.gather(1, c.unsqueeze(1));
        using var alpha = pc * (weight.index_select(0, c) - p.matmul(weight)) / (16 * 16);
        using var expected = (alpha.unsqueeze(-1).unsqueeze(-1) * capture.Activations).sum([1]).relu();

        result.Raw.allclose(expected, 1e-6, 1e-9).Should().BeTrue();
        result.Targets.data<long>().ToArray().Should().Equal(classes, "a probability target is a class");
    }

    [Fact]
    public void A_target_that_does_not_fit_the_output_says_what_the_output_should_be()
    {
        using var reference = ReferenceCase.Load("gapnet");
        using var model = Models.Load(reference);
        using var mask = ones(32, 32);
        using var concept = ones(7);

        var segmentation = () => _host.Explain(model, reference.Input, new ExplainRequest("grad-cam") { Target = new SegmentationTarget(1, mask) });
        var similarity = () => _host.Explain(model, reference.Input, new ExplainRequest("grad-cam") { Target = new EmbeddingSimilarityTarget(concept) });

        segmentation.Should().Throw<SaliencyException>().WithMessage("A segmentation target for class 1 with a mask [32,32] needs an output [B,classes,H,W]*; the model returned [2,10].");
        similarity.Should().Throw<SaliencyException>().WithMessage("An embedding-similarity target with a reference [7] needs an output [B,7]; the model returned [2,10].");
    }

    /// <summary>A 16×16 image with two 4×4 squares: A in channel 0, B in the last channel (the same channel when there is one).</summary>
    private static Tensor TwoObjects(int channels)
    {
        var image = zeros(1, channels, 16, 16);
        image[0, 0, ObjectA.Row..(ObjectA.Row + 4), ObjectA.Col..(ObjectA.Col + 4)] = tensor(1f);
        image[0, channels - 1, ObjectB.Row..(ObjectB.Row + 4), ObjectB.Col..(ObjectB.Col + 4)] = tensor(1f);
        return image;
    }

    private static Tensor Square((int Row, int Col) corner, int size)
    {
        var mask = zeros(size, size);
        mask[corner.Row..(corner.Row + 4), corner.Col..(corner.Col + 4)] = tensor(1f);
        return mask;
    }

    /// <summary>The share of the map's mass within one pixel of the 4×4 object at <paramref name="corner"/>.</summary>
    private static double MassAround(Tensor map, (int Row, int Col) corner)
    {
        using var scope = NewDisposeScope();
        var total = map.sum().item<float>();
        var region = map[0, (corner.Row - 1)..(corner.Row + 5), (corner.Col - 1)..(corner.Col + 5)].sum().item<float>();
        return region / total;
    }

    /// <summary>3×3 mean filter → ReLU (features) → 1×1 conv whose class 1 is the features and class 0 their negative: [B,2,16,16].</summary>
    private sealed class TwoObjectSegmenter : nn.Module<Tensor, Tensor>
    {
        private readonly nn.Module<Tensor, Tensor> features;
        private readonly TorchSharp.Modules.Conv2d head;

        public TwoObjectSegmenter() : base(nameof(TwoObjectSegmenter))
        {
            var blur = nn.Conv2d(1, 1, 3, padding: 1, bias: false);
            features = nn.Sequential(blur, nn.ReLU());
            head = nn.Conv2d(1, 2, 1, bias: false);
            RegisterComponents();
            using var noGrad = no_grad();
            blur.weight!.fill_(1.0 / 9);
            head.weight!.copy_(tensor(new float[] { -1, 1 }).reshape(2, 1, 1, 1));
        }

        public override Tensor forward(Tensor input) => head.call(features.call(input));
    }

    /// <summary>Identity 1×1 conv → ReLU (features) → global average pooling: a 2-D embedding, one dimension per input channel.</summary>
    private sealed class TwoObjectEmbedder : nn.Module<Tensor, Tensor>
    {
        private readonly nn.Module<Tensor, Tensor> features;

        public TwoObjectEmbedder() : base(nameof(TwoObjectEmbedder))
        {
            var identity = nn.Conv2d(2, 2, 1, bias: false);
            features = nn.Sequential(identity, nn.ReLU());
            RegisterComponents();
            using var noGrad = no_grad();
            identity.weight!.copy_(eye(2).reshape(2, 2, 1, 1));
        }

        public override Tensor forward(Tensor input) => features.call(input).mean([2, 3]);
    }
}
