using TorchSharp.Modules;
using Xunit.Abstractions;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Saliency.Tests;

/// <summary>
/// The rest of pytorch-grad-cam's CAM family (Grad-CAM++, XGrad-CAM, HiResCAM, Grad-CAM element-wise, EigenCAM,
/// EigenGradCAM) against the Python references, for both cases and both target sets; the identities between them;
/// and the CAM options <c>eigen-smooth</c> and <c>aug-smooth</c>.
/// </summary>
public sealed partial class CamFamilyConformanceTests : IClassFixture<HostFixture>
{
    private static readonly string[] s_methods = ["grad-cam++", "xgrad-cam", "hires-cam", "grad-cam-elementwise", "eigen-cam", "eigen-grad-cam"];

    private readonly SaliencyHost _host;
    private readonly ITestOutputHelper _output;

    public CamFamilyConformanceTests(HostFixture fixture, ITestOutputHelper output)
    {
        _host = fixture.Host;
        _output = output;
    }

    /// <summary>Each clamped method with its pytorch-grad-cam key prefix, on both cases and both target sets.</summary>
    public static TheoryData<string, string, string, bool> ClampedCases => Expand(
        ("grad-cam++", "gradcamplusplus"), ("xgrad-cam", "xgradcam"), ("hires-cam", "hirescam"), ("grad-cam-elementwise", "gradcamelementwise"));

    /// <summary>The eigen methods with their key prefixes, on both cases and both target sets.</summary>
    public static TheoryData<string, string, string, bool> EigenCases => Expand(("eigen-cam", "eigencam"), ("eigen-grad-cam", "eigengradcam"));

    public static TheoryData<string, bool> Cases => new()
    {
        { "gapnet", false }, { "gapnet", true }, { "vggmini", false }, { "vggmini", true },
    };

    [Fact]
    public void The_six_methods_load_as_plugins_and_declare_the_smoothing_options()
    {
        foreach (var id in s_methods)
        {
            var descriptor = _host.Methods.Should().ContainSingle(m => m.Id == id).Subject;
            descriptor.Options.Select(o => o.Key).Should().Equal(new[] { CamMethod.EigenSmoothOption, CamMethod.AugSmoothOption }, id);
        }

        string[] plugins = ["GradCamPlusPlus", "XGradCam", "HiResCam", "GradCamElementWise", "EigenCam", "EigenGradCam"];
        foreach (var plugin in plugins)
        {
            _host.Plugins.Should().Contain(p => p.Name == $"Saliency.Methods.{plugin}" && p.Status == PluginStatus.Loaded);
        }

        _host.Methods.Single(m => m.Id == "eigen-cam").Requirements.Should().Be(MethodRequirements.LayerActivations, "EigenCAM needs no gradient");
    }

    [Theory]
    [MemberData(nameof(ClampedCases))]
    public void A_clamped_method_matches_relu_of_pytorch_grad_cams_raw_and_its_map(string method, string key, string name, bool @explicit)
    {
        using var reference = ReferenceCase.Load(name);
        using var model = Models.Load(reference);
        using var result = Explain(reference, model, method, @explicit);

        var suffix = @explicit ? "@explicit" : string.Empty;
        using var expectedRaw = reference.Expected($"{key}.raw{suffix}").relu();
        AssertMatches(reference, $"{key}.raw{suffix}", result.Raw, expectedRaw);
        AssertMatches(reference, $"{key}.map{suffix}", result.Map);
        result.Targets.data<long>().ToArray().Should().Equal(reference.Targets(@explicit));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Xgrad_cam_matches_torchcam(string name, bool @explicit)
    {
        using var reference = ReferenceCase.Load(name);
        using var model = Models.Load(reference);
        using var result = Explain(reference, model, "xgrad-cam", @explicit);

        AssertMatches(reference, $"torchcam.xgradcam.raw{(@explicit ? "@explicit" : string.Empty)}", result.Raw);
    }

    [Theory]
    [MemberData(nameof(EigenCases))]
    public void An_eigen_method_matches_pytorch_grad_cam_up_to_one_sign_per_image(string method, string key, string name, bool @explicit)
    {
        using var reference = ReferenceCase.Load(name);
        using var model = Models.Load(reference);
        using var result = Explain(reference, model, method, @explicit);

        var suffix = @explicit ? "@explicit" : string.Empty;
        using var scope = NewDisposeScope();
        var expectedRaw = reference.Expected($"{key}.raw{suffix}");
        var agreement = (result.Raw * expectedRaw).sum([1, 2]);
        var sign = where(agreement.lt(0), -ones_like(agreement), ones_like(agreement)).view(-1, 1, 1);
        var aligned = result.Raw * sign;
        AssertMatches(reference, $"{key}.raw{suffix}", aligned);

        // The map of an image whose sign differs is the map of the aligned raw, as the reference README asks.
        var map = where(sign.gt(0), result.Map, SaliencyMaps.ScaleCam(aligned, reference.Input.shape[2], reference.Input.shape[3]));
        AssertMatches(reference, $"{key}.map{suffix}", map);
        _output.WriteLine($"{name} {method}{suffix}: signs against the fixture {string.Join(",", sign.flatten().data<float>().ToArray())}");

        using var min = result.Raw.min();
        min.item<float>().Should().BeLessThan(0, "the eigen methods' raw is the signed projection, not clamped");
    }

    [Theory]
    [InlineData("hires-cam", false)]
    [InlineData("hires-cam", true)]
    [InlineData("xgrad-cam", false)]
    [InlineData("xgrad-cam", true)]
    public void On_a_gap_net_hires_cam_and_xgrad_cam_are_grad_cam_because_the_gradients_are_spatially_constant(string method, bool @explicit)
    {
        // With g_k constant over the positions: HiResCAM's Σ_k g_k·A_k is Grad-CAM's, and XGrad-CAM's weight
        // Σ g·A_k / (Σ A_k + ε) = g_k·S_k/(S_k + ε) is Grad-CAM's up to ε.
        using var reference = ReferenceCase.Load("gapnet");
        using var model = Models.Load(reference);
        var (result, gradCam) = ExplainPair(reference, model, method, "grad-cam", @explicit);
        using (result)
        using (gradCam)
        {
            using var peak = gradCam.Raw.max();
            TensorAssert.Close(result.Raw, gradCam.Raw, 1e-5 * peak.item<float>());
            TensorAssert.Close(result.Map, gradCam.Map, 1e-5);
        }
    }

    [Fact]
    public void Without_a_gap_head_hires_cam_differs_from_grad_cam()
    {
        using var reference = ReferenceCase.Load("vggmini");
        using var model = Models.Load(reference);
        var (hiRes, gradCam) = ExplainPair(reference, model, "hires-cam", "grad-cam", @explicit: false);
        using (hiRes)
        using (gradCam)
        {
            using var difference = (hiRes.Map - gradCam.Map).abs().max();
            difference.item<float>().Should().BeGreaterThan(0.05f, "vggmini's gradients vary over the positions");
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void On_a_gap_net_grad_cam_plus_plus_follows_from_the_head_weights_alone(bool @explicit)
    {
        // The gradient at every position is fc.weight[c,k]/(h·w), so w_k = h·w·ReLU(g_k)·g_k²/(2g_k² + S_k·g_k³ + 1e-6).
        using var reference = ReferenceCase.Load("gapnet");
        using var model = Models.Load(reference);
        var targets = reference.Targets(@explicit);
        using var result = _host.Explain(model, reference.Input, new ExplainRequest("grad-cam++") { Targets = targets });

        using var scope = NewDisposeScope();
        Tensor activations;
        using (no_grad())
        {
            activations = model.GetLayer("features").call(reference.Input).to(ScalarType.Float64);
        }

        var area = activations.shape[2] * activations.shape[3];
        var g = model.ClassifierHead!.weight!.detach().index_select(0, tensor(targets)).to(ScalarType.Float64) / area;
        var sums = activations.sum([2, 3]);
        var alpha = g.pow(2) / ((2 * g.pow(2)) + (sums * g.pow(3)) + 1e-6);
        var weights = area * g.relu() * alpha;
        var expected = (weights.unsqueeze(-1).unsqueeze(-1) * activations).sum([1]).relu();
        using var peak = expected.max();
        TensorAssert.Close(result.Raw, expected, 1e-4 * peak.item<double>());
        peak.item<double>().Should().BeGreaterThan(0);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void On_non_negative_activations_grad_cam_elementwise_is_layer_cam(string name, bool @explicit)
    {
        // ReLU(g·A) = ReLU(g)·A where A ≥ 0; both reference layers end in a ReLU (and a max-pool).
        using var reference = ReferenceCase.Load(name);
        using var model = Models.Load(reference);
        var (elementwise, layerCam) = ExplainPair(reference, model, "grad-cam-elementwise", "layer-cam", @explicit);
        using (elementwise)
        using (layerCam)
        {
            TensorAssert.Close(elementwise.Raw, layerCam.Raw, 0);
            TensorAssert.Close(elementwise.Map, layerCam.Map, 0);
        }
    }

    [Fact]
    public void On_signed_activations_grad_cam_elementwise_differs_from_layer_cam()
    {
        using var net = new RankOneNet();
        using var x = RankOneNet.Input();
        var results = _host.Explain(net, x, [new ExplainRequest("grad-cam-elementwise"), new ExplainRequest("layer-cam")]);
        using var elementwise = results[0];
        using var layerCam = results[1];

        using var difference = (elementwise.Raw - layerCam.Raw).abs().max();
        difference.item<float>().Should().BeGreaterThan(1e-3f, "where A < 0 and g < 0, ReLU(g·A) > 0 = ReLU(g)·A");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Eigen_cam_is_centred_and_eigen_smooth_changes_nothing_for_the_eigen_methods(string name, bool @explicit)
    {
        using var reference = ReferenceCase.Load(name);
        using var model = Models.Load(reference);
        foreach (var method in new[] { "eigen-cam", "eigen-grad-cam" })
        {
            using var plain = Explain(reference, model, method, @explicit);
            using var smoothed = Explain(reference, model, method, @explicit, new() { [CamMethod.EigenSmoothOption] = "true" });
            TensorAssert.Close(smoothed.Raw, plain.Raw, 0, method);
            TensorAssert.Close(smoothed.Map, plain.Map, 0, method);

            using var peak = plain.Raw.abs().max();
            using var means = plain.Raw.mean([1, 2]).abs().max();
            means.item<float>().Should().BeLessThan(1e-5f * peak.item<float>(), $"{method} projects centred activations");
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Hires_cam_with_eigen_smooth_is_relu_of_eigen_grad_cam(string name, bool @explicit)
    {
        // Both project g ⊙ A on its first principal component, with the same sign rule.
        using var reference = ReferenceCase.Load(name);
        using var model = Models.Load(reference);
        using var smoothed = Explain(reference, model, "hires-cam", @explicit, new() { [CamMethod.EigenSmoothOption] = "true" });
        using var eigenGrad = Explain(reference, model, "eigen-grad-cam", @explicit);

        using var expected = eigenGrad.Raw.relu();
        TensorAssert.Close(smoothed.Raw, expected, 0);
        TensorAssert.Close(smoothed.Map, eigenGrad.Map, 0);
    }

    [Fact]
    public void Eigen_cam_of_a_rank_one_activation_is_the_centred_input_times_the_norm_of_the_filter()
    {
        // A_k = w_k·x, so M = (x − mean x)·wᵀ and M·v₁ = ±‖w‖(x − mean x); the sign follows Σ_k w_k.
        using var net = new RankOneNet();
        using var x = RankOneNet.Input(zeroMean: false);
        using var result = _host.Explain(net, x, new ExplainRequest("eigen-cam"));

        using var scope = NewDisposeScope();
        var w = net.Filter;
        var expected = (x.squeeze(1) - x.mean([1, 2, 3]).view(-1, 1, 1)) * w.norm().item<float>() * MathF.Sign(w.sum().item<float>());
        using var peak = expected.abs().max();
        TensorAssert.Close(result.Raw, expected, 1e-5 * peak.item<float>());
    }

    [Theory]
    [InlineData("grad-cam")]
    [InlineData("grad-cam++")]
    [InlineData("hires-cam")]
    [InlineData("layer-cam")]
    public void Eigen_smooth_changes_nothing_for_a_rank_one_activation(string method)
    {
        // The weighted activations u_k·x are rank one and x has zero mean: the projection is a positive multiple of
        // the channel sum, so the map is the same and the raw map is scaled.
        using var net = new RankOneNet();
        using var x = RankOneNet.Input();
        var results = _host.Explain(net, x, [new ExplainRequest(method), new ExplainRequest(method) { Options = new Dictionary<string, string> { [CamMethod.EigenSmoothOption] = "true" } }]);
        using var plain = results[0];
        using var smoothed = results[1];

        TensorAssert.Close(smoothed.Map, plain.Map, 1e-5);
        using var scope = NewDisposeScope();
        var scale = smoothed.Raw.amax([1, 2]) / plain.Raw.amax([1, 2]);
        TensorAssert.Close(smoothed.Raw, plain.Raw * scale.view(-1, 1, 1), 1e-5 * smoothed.Raw.max().item<float>());
        plain.Map.max().item<float>().Should().BeGreaterThan(0.99f, "the test must not compare empty maps");
    }

    [Fact]
    public void Eigen_smooth_changes_grad_cam_on_a_real_network()
    {
        using var reference = ReferenceCase.Load("vggmini");
        using var model = Models.Load(reference);
        using var plain = Explain(reference, model, "grad-cam", @explicit: false);
        using var smoothed = Explain(reference, model, "grad-cam", @explicit: false, new() { [CamMethod.EigenSmoothOption] = "true" });

        using var difference = (smoothed.Map - plain.Map).abs().max();
        difference.item<float>().Should().BeGreaterThan(0.01f);
        using var explicitFalse = Explain(reference, model, "grad-cam", @explicit: false, new() { [CamMethod.EigenSmoothOption] = "False" });
        TensorAssert.Close(explicitFalse.Map, plain.Map, 0);
    }

    [Theory]
    [InlineData("grad-cam")]
    [InlineData("eigen-cam")]
    [InlineData("xgrad-cam")]
    public void An_invalid_eigen_smooth_value_is_an_error_naming_the_key_and_the_value(string method)
    {
        using var reference = ReferenceCase.Load("gapnet");
        using var model = Models.Load(reference);
        var act = () => Explain(reference, model, method, @explicit: false, new() { [CamMethod.EigenSmoothOption] = "yes" });
        act.Should().Throw<ArgumentException>().WithMessage($"*'eigen-smooth'*'{method}'*Boolean*'yes'*");
    }

    [Theory]
    [InlineData("grad-cam", false)]
    [InlineData("hires-cam", true)]
    [InlineData("eigen-grad-cam", false)]
    public void Aug_smooth_is_the_mean_of_six_variants_flipped_back_explaining_the_unaugmented_classes(string method, bool @explicit)
    {
        using var reference = ReferenceCase.Load("gapnet");
        using var model = Models.Load(reference);
        using var smoothed = _host.Explain(model, reference.Input, new ExplainRequest(method)
        {
            Targets = @explicit ? reference.Targets(true) : null,
            Options = new Dictionary<string, string> { [CamMethod.AugSmoothOption] = "true" },
        });
        using var plain = _host.Explain(model, reference.Input, new ExplainRequest(method) { Targets = @explicit ? reference.Targets(true) : null });

        // By hand: ttach's HorizontalFlip × Multiply([0.9, 1, 1.1]), each map flipped back, the six averaged.
        var classes = plain.Targets.data<long>().ToArray();
        using var scope = NewDisposeScope();
        var maps = new List<Tensor>();
        foreach (var flip in new[] { false, true })
        {
            foreach (var factor in new[] { 0.9, 1.0, 1.1 })
            {
                var variant = (flip ? reference.Input.flip(-1) : reference.Input) * factor;
                using var result = _host.Explain(model, variant, new ExplainRequest(method) { Targets = classes });
                maps.Add(flip ? result.Map.flip(-1) : result.Map.clone());
            }
        }

        var expected = stack(maps, 0).mean([0]);
        TensorAssert.Close(smoothed.Map, expected, 1e-6);
        smoothed.Targets.data<long>().ToArray().Should().Equal(classes, "every variant explains the unaugmented batch's classes");
        smoothed.Map.shape.Should().Equal(plain.Map.shape);
        (smoothed.Map - plain.Map).abs().max().item<float>().Should().BeGreaterThan(1e-3f, "averaging over flips changes the map");
        smoothed.Raw.shape.Should().Equal(plain.Raw.shape);
    }

    [Fact]
    public void An_invalid_aug_smooth_value_is_an_error_naming_the_option_and_false_is_the_plain_map()
    {
        using var reference = ReferenceCase.Load("gapnet");
        using var model = Models.Load(reference);
        var invalid = () => Explain(reference, model, "grad-cam", @explicit: false, new() { [CamMethod.AugSmoothOption] = "sometimes" });
        invalid.Should().Throw<ArgumentException>().WithMessage("Option 'aug-smooth' of method 'grad-cam' must be true or false; got 'sometimes'.*");

        using var off = Explain(reference, model, "grad-cam", @explicit: false, new() { [CamMethod.AugSmoothOption] = "false" });
        using var plain = Explain(reference, model, "grad-cam", @explicit: false);
        TensorAssert.Close(off.Map, plain.Map, 0);
    }

    private static TheoryData<string, string, string, bool> Expand(params (string Method, string Key)[] methods)
    {
        var data = new TheoryData<string, string, string, bool>();
        foreach (var (method, key) in methods)
        {
            foreach (var name in new[] { "gapnet", "vggmini" })
            {
                data.Add(method, key, name, false);
                data.Add(method, key, name, true);
            }
        }

        return data;
    }

    /// <summary>
    /// The fixtures' tolerance <c>|actual − expected| ≤ abs·peak + rel·|expected|</c> for <paramref name="key"/>,
    /// against <paramref name="expected"/> (the key's tensor when null); prints the largest error over the peak.
    /// </summary>
    private void AssertMatches(ReferenceCase reference, string key, Tensor actual, Tensor? expected = null)
    {
        expected ??= reference.Expected(key);
        var (abs, rel) = reference.Tolerance(key);
        var peak = reference.Peak(key);
        actual.shape.Should().Equal(expected.shape, $"{reference.Name} {key} shape");
        using var scope = NewDisposeScope();
        var a = actual.detach().cpu().to(ScalarType.Float64);
        var e = expected.to(ScalarType.Float64);
        var error = (a - e).abs();
        var excess = error - ((e.abs() * rel) + (abs * peak));
        var maxError = error.max().item<double>();
        _output.WriteLine($"{reference.Name} {key}: max |diff| / peak = {maxError / peak:E2} (tolerance abs {abs:G2}·peak + rel {rel:G2})");
        excess.max().item<double>().Should().BeLessThanOrEqualTo(0, $"{reference.Name} {key}: max |diff| {maxError:G3}, peak {peak:G3}");
    }

    private SaliencyResult Explain(ReferenceCase reference, IExplainable model, string method, bool @explicit, Dictionary<string, string>? options = null) =>
        _host.Explain(model, reference.Input, new ExplainRequest(method)
        {
            Targets = reference.Targets(@explicit),
            Options = options ?? [],
        });

    private (SaliencyResult First, SaliencyResult Second) ExplainPair(ReferenceCase reference, IExplainable model, string first, string second, bool @explicit)
    {
        var targets = reference.Targets(@explicit);
        var results = _host.Explain(model, reference.Input, [new ExplainRequest(first) { Targets = targets }, new ExplainRequest(second) { Targets = targets }]);
        return (results[0], results[1]);
    }

    /// <summary>
    /// A 1×1 convolution without bias from one input channel (so <c>A_k = w_k·x</c> has rank one), global average
    /// pooling and a Linear head, with fixed weights.
    /// </summary>
    private sealed partial class RankOneNet : Module<Tensor, Tensor>
    {
        [ExplainLayer(IsDefault = true)]
        private readonly Conv2d features;

        [ClassifierHead]
        private readonly Linear fc;

        public RankOneNet() : base(nameof(RankOneNet))
        {
            features = Conv2d(1, 3, 1, bias: false);
            fc = Linear(3, 2);
            RegisterComponents();
            using var _ = no_grad();
            features.weight!.copy_(tensor(new float[] { 1f, -2f, 0.5f }).reshape(3, 1, 1, 1));
            fc.weight!.copy_(tensor(new float[] { 1f, -0.5f, 3f, -2f, 0.5f, 4f }).reshape(2, 3));
            fc.bias!.copy_(tensor(new float[] { 0.25f, -0.5f }));
        }

        /// <summary>The filter <c>w</c>, <c>[3]</c>.</summary>
        public Tensor Filter => features.weight!.detach().flatten();

        /// <summary>A batch <c>[2,1,6,6]</c>, with zero spatial mean per item unless <paramref name="zeroMean"/> is false.</summary>
        public static Tensor Input(bool zeroMean = true)
        {
            using var scope = NewDisposeScope();
            manual_seed(11);
            var x = randn(2, 1, 6, 6) + 0.5;
            return (zeroMean ? x - x.mean([1, 2, 3], keepdim: true) : x).MoveToOuterDisposeScope();
        }

        public override Tensor forward(Tensor input) => fc.call(features.call(input).mean([2, 3]));
    }
}
