using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Saliency.Tests;

/// <summary>Mathematical identities the built-in methods must satisfy, independent of the references.</summary>
public sealed partial class IdentityTests : IClassFixture<HostFixture>
{
    private readonly SaliencyHost _host;

    public IdentityTests(HostFixture fixture) => _host = fixture.Host;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void On_a_gap_net_the_spatial_mean_of_cam_plus_the_bias_is_the_logit(bool @explicit)
    {
        using var reference = ReferenceCase.Load("gapnet");
        using var model = Models.Load(reference);
        var targets = reference.Targets(@explicit);

        using var cam = _host.Explain(model, reference.Input, new ExplainRequest("cam") { Targets = targets });

        using var scope = NewDisposeScope();
        var index = tensor(targets);
        var logits = reference.Expected("logits").gather(1, index.unsqueeze(1)).squeeze(1);
        var reconstructed = cam.Raw.mean([1, 2]) + model.ClassifierHead!.bias!.index_select(0, index);
        TensorAssert.Close(reconstructed, logits, 1e-5);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void On_a_gap_net_grad_cam_is_relu_of_cam_over_the_area(bool @explicit)
    {
        using var reference = ReferenceCase.Load("gapnet");
        using var model = Models.Load(reference);
        var targets = reference.Targets(@explicit);

        var results = _host.Explain(model, reference.Input, [new ExplainRequest("cam") { Targets = targets }, new ExplainRequest("grad-cam") { Targets = targets }]);
        using var cam = results[0];
        using var gradCam = results[1];

        var area = cam.Raw.shape[1] * cam.Raw.shape[2];
        using var expected = cam.Raw.relu() / area;
        using var peak = expected.abs().max();
        TensorAssert.Close(gradCam.Raw, expected, 1e-5 * peak.item<float>());
    }

    [Fact]
    public void On_a_net_without_relus_guided_backprop_is_the_plain_input_gradient()
    {
        using var net = new SigmoidNet();
        manual_seed(9);
        using var x = randn(3, 3, 12, 12);
        long[] targets = [0, 2, 1];

        using var guided = _host.Explain(net, x, new ExplainRequest("guided-backprop") { Targets = targets });
        using var plain = SaliencyEngine.InputGradients(net, x, targets, GradientMode.Plain);

        TensorAssert.Close(guided.Raw, plain, 0);
        using var magnitude = plain.abs().max();
        magnitude.item<float>().Should().BeGreaterThan(0);
    }

    [Fact]
    public void Maps_lie_in_the_unit_interval_at_input_resolution()
    {
        using var reference = ReferenceCase.Load("vggmini");
        using var model = Models.Load(reference);
        foreach (var method in new[] { "grad-cam", "guided-backprop", "guided-grad-cam" })
        {
            using var result = _host.Explain(model, reference.Input, new ExplainRequest(method));
            result.Map.shape.Should().Equal(2, 32, 32);
            using var min = result.Map.min();
            using var max = result.Map.max();
            min.item<float>().Should().BeGreaterThanOrEqualTo(0, method);
            max.item<float>().Should().BeInRange(0.99f, 1f, method);
        }
    }

    [Fact]
    public void On_a_positively_homogeneous_net_aug_smooth_is_the_mean_of_the_map_and_the_flipped_back_map_of_the_flip()
    {
        // Without biases, conv → ReLU → GAP → Linear is positively homogeneous: scaling the input by 0.9 or 1.1 scales
        // the activations and leaves the layer gradients alone, so the scaled Grad-CAM map does not change, and the six
        // variants reduce to two: the image and its mirror image.
        using var net = new HomogeneousNet();
        manual_seed(21);
        using var x = randn(2, 1, 12, 12);
        long[] targets = [0, 1];

        using var smoothed = _host.Explain(net, x, new ExplainRequest("grad-cam") { Targets = targets, Options = new Dictionary<string, string> { [CamMethod.AugSmoothOption] = "true" } });
        using var plain = _host.Explain(net, x, new ExplainRequest("grad-cam") { Targets = targets });
        using var flipped = x.flip(-1);
        using var mirror = _host.Explain(net, flipped, new ExplainRequest("grad-cam") { Targets = targets });

        using var back = mirror.Map.flip(-1);
        using var expected = (plain.Map + back) / 2;
        TensorAssert.Close(smoothed.Map, expected, 1e-5);
        using var asymmetry = (plain.Map - back).abs().max();
        asymmetry.item<float>().Should().BeGreaterThan(0.05f, "the net is not mirror-symmetric, so the two maps differ and the identity says something");
    }

    [Fact]
    public void Aug_smooth_refuses_a_segmentation_target_whose_mask_would_have_to_flip()
    {
        using var net = new HomogeneousNet();
        using var x = ones(1, 1, 12, 12);
        using var mask = ones(12, 12);
        var act = () => _host.Explain(net, x, new ExplainRequest("grad-cam")
        {
            Target = new SegmentationTarget(0, mask),
            Options = new Dictionary<string, string> { [CamMethod.AugSmoothOption] = "true" },
        });
        act.Should().Throw<ArgumentException>().WithMessage("Option 'aug-smooth' of method 'grad-cam' cannot be used with a segmentation target*");
    }

    /// <summary>Conv (no bias) → ReLU → Conv (no bias) → ReLU → GAP → Linear (no bias): positively homogeneous of degree one.</summary>
    private sealed partial class HomogeneousNet : Module<Tensor, Tensor>
    {
        [ExplainLayer]
        private readonly Sequential features;

        [ClassifierHead]
        private readonly Linear fc;

        public HomogeneousNet() : base(nameof(HomogeneousNet))
        {
            manual_seed(5);
            features = Sequential(Conv2d(1, 4, 3, padding: 1, bias: false), ReLU(), Conv2d(4, 6, 3, padding: 1, bias: false), ReLU());
            fc = Linear(6, 2, hasBias: false);
            RegisterComponents();
        }

        public override Tensor forward(Tensor input) => fc.call(features.call(input).mean([2, 3]));
    }

    /// <summary>Conv → Sigmoid → Conv → Tanh → GAP → Linear: no ReLU anywhere.</summary>
    private sealed partial class SigmoidNet : Module<Tensor, Tensor>
    {
        [ExplainLayer]
        private readonly Sequential features;

        [ClassifierHead]
        private readonly Linear fc;

        public SigmoidNet() : base(nameof(SigmoidNet))
        {
            manual_seed(4);
            features = Sequential(Conv2d(3, 6, 3, padding: 1), Sigmoid(), Conv2d(6, 8, 3, padding: 1), Tanh());
            fc = Linear(8, 4);
            RegisterComponents();
        }

        public override Tensor forward(Tensor input) => fc.call(features.call(input).mean([2, 3]));
    }
}
