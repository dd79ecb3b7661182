using TorchSharp.Modules;
using Xunit.Abstractions;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Saliency.Tests;

/// <summary>
/// Captum's pixel-attribution methods (Saliency, Input × Gradient, Deconvolution, Integrated Gradients) against the
/// Captum fixtures, and the identities they satisfy independently of any reference.
/// </summary>
public sealed partial class PixelMethodsConformanceTests : IClassFixture<HostFixture>
{
    private readonly SaliencyHost _host;
    private readonly ITestOutputHelper _output;

    public PixelMethodsConformanceTests(HostFixture fixture, ITestOutputHelper output)
    {
        _host = fixture.Host;
        _output = output;
    }

    public static TheoryData<string, string, bool> Conformance
    {
        get
        {
            var data = new TheoryData<string, string, bool>();
            foreach (var (method, key) in new[] { ("saliency", "captum.saliency.raw"), ("input-x-gradient", "captum.input_x_gradient.raw"), ("deconvolution", "captum.deconvolution.raw"), ("integrated-gradients", "captum.integrated_gradients.raw") })
            {
                foreach (var name in new[] { "gapnet", "vggmini" })
                {
                    data.Add(method, $"{name}:{key}", false);
                    data.Add(method, $"{name}:{key}", true);
                }
            }

            return data;
        }
    }

    [Fact]
    public void The_pixel_methods_load_as_plugins_and_declare_what_they_need()
    {
        var methods = _host.Methods.ToDictionary(m => m.Id);
        methods.Should().ContainKeys("saliency", "input-x-gradient", "deconvolution", "integrated-gradients");
        methods["saliency"].Requirements.Should().Be(MethodRequirements.InputGradients);
        methods["input-x-gradient"].Requirements.Should().Be(MethodRequirements.InputGradients);
        methods["deconvolution"].Requirements.Should().Be(MethodRequirements.DeconvolutionRelu);
        methods["integrated-gradients"].Requirements.Should().Be(MethodRequirements.None, "its gradients come from passes of their own");
        methods["integrated-gradients"].Options.Select(o => o.Key).Should().Equal("steps", "method", "internal-batch");
        _host.Plugins.Should().Contain(p => p.Name == "Saliency.Methods.IntegratedGradients" && p.Status == PluginStatus.Loaded);
    }

    [Theory]
    [MemberData(nameof(Conformance))]
    public void Each_pixel_method_matches_captum(string method, string caseAndKey, bool @explicit)
    {
        var (name, key) = (caseAndKey.Split(':')[0], caseAndKey.Split(':')[1] + (@explicit ? "@explicit" : string.Empty));
        using var reference = ReferenceCase.Load(name);
        using var model = Models.Load(reference);
        using var result = Explain(model, reference.Input, method, reference.Targets(@explicit));

        using (var error = (result.Raw.to(ScalarType.Float64) - reference.Expected(key).to(ScalarType.Float64)).abs().max())
        {
            _output.WriteLine($"{method} {name} {key}: max |error| / peak = {error.item<double>() / reference.Peak(key):E2}");
        }

        reference.AssertClose(key, result.Raw);
        using var map = SaliencyMaps.ChannelMagnitude(result.Raw);
        TensorAssert.Close(result.Map, map, 0, "the map is the channel magnitude of Raw, as Guided Backprop's");
        result.Layer.Should().BeNull("pixel methods explain the input, not a layer");
        result.Warnings.Should().NotContain(w => w.Contains("ReLU", StringComparison.Ordinal), "every ReLU of the reference models is a module");
        result.Targets.data<long>().ToArray().Should().Equal(reference.Targets(@explicit));
    }

    [Fact]
    public void Input_x_gradient_of_a_bias_free_linear_model_sums_to_the_logit_minus_the_zero_input_logit()
    {
        using var net = new LinearNet();
        manual_seed(11);
        using var x = randn(3, 2, 5, 5);
        long[] targets = [0, 3, 1];

        using var result = Explain(net, x, "input-x-gradient", targets);

        using var scope = NewDisposeScope();
        var expected = Logits(net, x, targets) - Logits(net, zeros_like(x), targets);
        TensorAssert.Close(result.Raw.sum([1, 2, 3]), expected, 1e-5);
        expected.abs().min().item<float>().Should().BeGreaterThan(1e-2f, "the identity must not hold trivially");
    }

    [Fact]
    public void On_a_bias_free_relu_net_input_x_gradient_sums_to_the_logit_and_integrated_gradients_equals_it()
    {
        // Positively homogeneous (ReLU, max pooling, no biases): ∇f(αx) = ∇f(x) for α > 0, so x·∇f(x) = f(x) (Euler)
        // and every point of the path has the same gradient: Integrated Gradients is Input × Gradient for any rule.
        using var net = GapHeadNet.Homogeneous();
        manual_seed(12);
        using var x = randn(2, 3, 8, 8);
        long[] targets = [2, 4];

        var results = _host.Explain(net, x, [Request("input-x-gradient", targets), Request("integrated-gradients", targets, ("steps", "7"))]);
        using var inputXGradient = results[0];
        using var integrated = results[1];

        using var scope = NewDisposeScope();
        var logits = Logits(net, x, targets);
        using var peak = inputXGradient.Raw.abs().max();
        TensorAssert.Close(inputXGradient.Raw.sum([1, 2, 3]), logits, 1e-5);
        TensorAssert.Close(integrated.Raw, inputXGradient.Raw, 1e-5 * peak.item<float>());
    }

    [Fact]
    public void Integrated_gradients_are_complete_on_a_smooth_model()
    {
        using var net = GapHeadNet.Smooth();
        manual_seed(13);
        using var x = 3 * randn(3, 3, 10, 10);
        long[] targets = [1, 0, 3];

        using var result = Explain(net, x, "integrated-gradients", targets);

        using var scope = NewDisposeScope();
        var difference = Logits(net, x, targets) - Logits(net, zeros_like(x), targets);
        var sums = result.Raw.sum([1, 2, 3]);
        _output.WriteLine($"f(x) − f(0) = {Show(difference)}, Σ IG = {Show(sums)}");
        TensorAssert.Close(sums, difference, 1e-4 * difference.abs().max().item<float>(), "50-point Gauss–Legendre on a smooth path is exact to float precision");
        difference.abs().max().item<float>().Should().BeGreaterThan(1e-3f, "the identity must not hold trivially");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Integrated_gradients_on_gapnet_are_complete_within_the_quadrature_error_captum_has_too(bool @explicit)
    {
        using var reference = ReferenceCase.Load("gapnet");
        using var model = Models.Load(reference);
        var targets = reference.Targets(@explicit);

        using var result = Explain(model, reference.Input, "integrated-gradients", targets);
        using var finer = _host.Explain(model, reference.Input, Request("integrated-gradients", targets, ("steps", "400"), ("internal-batch", "200")));

        // A ReLU net's gradient jumps along the path, so no quadrature is exact: the sum misses f(x) − f(0) by the
        // rule's error — small against the attributions' mass Σ|IG|, the same error Captum's 50-point rule makes, and
        // smaller with a finer rule. (Against f(x) − f(0) itself it can look large: one explicit target's is 7e-4.)
        using var scope = NewDisposeScope();
        var difference = Logits(model, reference.Input, targets) - Logits(model, zeros_like(reference.Input), targets);
        var delta = (result.Raw.sum([1, 2, 3]) - difference).abs();
        var captumDelta = (reference.Expected($"captum.integrated_gradients.raw{(@explicit ? "@explicit" : string.Empty)}").sum([1, 2, 3]) - difference).abs();
        var finerDelta = (finer.Raw.sum([1, 2, 3]) - difference).abs();
        _output.WriteLine($"f(x) − f(0) = {Show(difference)}, 50 steps: {Show(delta)}, Captum: {Show(captumDelta)}, 400 steps: {Show(finerDelta)}, Σ|IG| = {Show(result.Raw.abs().sum([1, 2, 3]))}");

        (delta / result.Raw.abs().sum([1, 2, 3])).max().item<float>().Should().BeLessThan(0.005f, "50 steps integrate to within a fraction of a per cent of the attributions' mass");
        TensorAssert.Close(delta, captumDelta, 0.05 * captumDelta.max().item<float>(), "the same rule makes the same error");
        finerDelta.max().item<float>().Should().BeLessThan(delta.max().item<float>(), "more steps integrate more closely");
    }

    [Theory]
    [InlineData("gausslegendre", 50, 100)]
    [InlineData("gausslegendre", 3, 6)]
    [InlineData("gausslegendre", 2, 6)]
    [InlineData("riemann_trapezoid", 5, 3)]
    [InlineData("riemann_left", 4, 2)]
    [InlineData("riemann_right", 4, 2)]
    [InlineData("riemann_middle", 4, 3)]
    public void Integrated_gradients_of_a_power_integrate_with_the_chosen_rule(string rule, int steps, int power)
    {
        // f(x) = (v·x)^k: along the path the gradient is k·α^(k−1)·(v·x)^(k−1)·v, so Σ IG = f(x) · k·Σ_i w_i α_i^(k−1):
        // exactly f(x) when the rule integrates α^(k−1) exactly (Gauss–Legendre with n points up to degree 2n − 1),
        // and otherwise the rule's known factor, worked out here from its closed-form nodes and weights.
        using var net = new PowerNet(power);
        manual_seed(14);
        using var x = (0.5 + rand(2, 3, 4, 4)) / 48;
        using var result = _host.Explain(net, x, Request("integrated-gradients", [0, 0], ("method", rule), ("steps", $"{steps}"), ("internal-batch", "5")));

        using var scope = NewDisposeScope();
        var f = Logits(net, x, [0, 0]).to(ScalarType.Float64);
        var factor = ExpectedFactor(rule, steps, power);
        var sums = result.Raw.sum([1, 2, 3]).to(ScalarType.Float64);
        _output.WriteLine($"{rule} n={steps} k={power}: Σ IG / f = {(sums / f).mean().item<double>():R}, expected factor {factor:R}");
        TensorAssert.Close(sums / f, full(2, factor, dtype: ScalarType.Float64), 1e-4);
        if (rule == "gausslegendre" && 2 * steps < power)
        {
            Math.Abs(factor - 1).Should().BeGreaterThan(1e-3, "with too few points the rule is not exact, and the test can tell");
        }
    }

    [Fact]
    public void Integrated_gradients_do_not_depend_on_the_internal_batch_and_refuse_unknown_options()
    {
        using var reference = ReferenceCase.Load("vggmini");
        using var model = Models.Load(reference);
        var targets = reference.Targets(@explicit: false);

        using var oneByOne = _host.Explain(model, reference.Input, Request("integrated-gradients", targets, ("steps", "6"), ("internal-batch", "1")));
        using var allAtOnce = _host.Explain(model, reference.Input, Request("integrated-gradients", targets, ("steps", "6"), ("internal-batch", "12")));
        using var peak = allAtOnce.Raw.abs().max();
        TensorAssert.Close(oneByOne.Raw, allAtOnce.Raw, 1e-5 * peak.item<float>());

        var unknown = () => _host.Explain(model, reference.Input, Request("integrated-gradients", targets, ("method", "simpson")));
        unknown.Should().Throw<ArgumentException>().WithMessage("*no method 'simpson'*gausslegendre*riemann_trapezoid*");
        var none = () => _host.Explain(model, reference.Input, Request("integrated-gradients", targets, ("steps", "1"), ("method", "riemann_trapezoid")));
        none.Should().Throw<ArgumentException>().WithMessage("*steps ≥ 2*");
    }

    [Fact]
    public void Integrated_gradients_stop_between_chunks_when_cancelled()
    {
        using var reference = ReferenceCase.Load("gapnet");
        using var model = Models.Load(reference);
        using var cancellation = new CancellationTokenSource();
        var classes = new ClassTarget(reference.Targets(@explicit: false));
        var chunks = 0;
        var cancelling = ExplanationTarget.FromFunction("class logit, cancelling", (output, items) =>
        {
            chunks++;
            cancellation.Cancel();
            return classes.Score(output, items);
        });

        var act = () => _host.Explain(model, reference.Input, new ExplainRequest("integrated-gradients") { Target = cancelling, Options = new Dictionary<string, string> { ["internal-batch"] = "4" } }, cancellation.Token);

        act.Should().Throw<OperationCanceledException>();
        chunks.Should().Be(1, "the request is cancelled during the first of 25 chunks and the next one does not start");
    }

    [Fact]
    public void Deconvolution_equals_guided_backprop_where_every_relu_input_is_positive_and_differs_from_the_plain_gradient()
    {
        // With every ReLU input > 0 the forward mask is all ones, so max(g,0)·(x>0) = max(g,0): Guided Backprop's rule is
        // Deconvolution's. The head's mixed signs make max(g,0) differ from g, so neither equals the plain gradient.
        using var net = GapHeadNet.Positive();
        manual_seed(15);
        using var x = rand(2, 3, 9, 9);
        long[] targets = [1, 3];

        using var deconvolution = Explain(net, x, "deconvolution", targets);
        using var guided = Explain(net, x, "guided-backprop", targets);
        using var plain = SaliencyEngine.InputGradients(net, x, targets, GradientMode.Plain);

        using var peak = guided.Raw.abs().max();
        TensorAssert.Close(deconvolution.Raw, guided.Raw, 1e-6 * peak.item<float>());
        using var gap = (deconvolution.Raw - plain).abs().max();
        gap.item<float>().Should().BeGreaterThan(0.05f * peak.item<float>(), "max(g, 0) changes the gradient on this model");
        using var lowLevel = SaliencyEngine.InputGradients(net, x, targets, GradientMode.Deconvolution);
        TensorAssert.Close(lowLevel, deconvolution.Raw, 0, "the engine's own entry point gives the same deconvolution");
    }

    [Fact]
    public void Deconvolution_ignores_the_forward_mask_of_in_place_relus_too_and_leaves_the_input_alone()
    {
        using var reference = ReferenceCase.Load("gapnet");
        using var inPlace = GapHeadNet.InPlaceGapNet();
        using (var source = GapNet.Load(reference.ModelPath))
        {
            inPlace.load_state_dict(source.state_dict());
        }

        inPlace.eval();
        using var input = reference.Input.clone();

        using var result = Explain(inPlace, input, "deconvolution", reference.Targets(@explicit: true));

        reference.AssertClose("captum.deconvolution.raw@explicit", result.Raw);
        TensorAssert.Close(input, reference.Input, 0, "the gates must not let an in-place ReLU write into the caller's input");
    }

    [Fact]
    public void Deconvolution_reports_the_functional_relus_of_resnet_blocks_and_guided_backprop_does_not()
    {
        manual_seed(16);
        using var net = TorchSharp.torchvision.models.resnet18(num_classes: 7);
        net.eval();
        var model = ExplainableModule.Create(net, ["layer4"], classifierHead: "fc");
        using var x = randn(2, 3, 32, 32);

        var together = _host.Explain(model, x, [Request("deconvolution", null), Request("guided-backprop", null)]);
        using var deconvolution = together[0];
        using var guidedTogether = together[1];
        using var guidedAlone = Explain(model, x, "guided-backprop", null);

        deconvolution.Warnings.Where(w => w.Contains("ReLU", StringComparison.Ordinal)).Should().HaveCount(8).And.OnlyContain(w => w.Contains("Deconvolution cannot replace the backward of the functional ReLU", StringComparison.Ordinal));
        deconvolution.Warnings.Should().Contain(w => w.Contains("'layer4.1'", StringComparison.Ordinal));
        guidedTogether.Warnings.Should().NotContain(w => w.Contains("ReLU", StringComparison.Ordinal), "resnet's functional ReLUs end its blocks, where Guided Backprop's gate is exact");
        using var peak = guidedAlone.Raw.abs().max();
        peak.item<float>().Should().BeGreaterThan(0);
        TensorAssert.Close(guidedTogether.Raw, guidedAlone.Raw, 1e-6 * peak.item<float>(), "the deconvolution gates serve the guided rule exactly, in-place ReLUs included");
    }

    [Theory]
    [InlineData("gapnet")]
    [InlineData("vggmini")]
    public void Guided_backprop_and_grad_cam_are_unchanged_when_explained_with_the_new_methods(string name)
    {
        // Together, one forward serves them all with deconvolution gates on every ReLU, which must give the guided and
        // plain rules exactly: each result equals the one of its method alone, which matches the references.
        using var reference = ReferenceCase.Load(name);
        using var model = Models.Load(reference);
        var targets = reference.Targets(@explicit: true);
        string[] methods = ["guided-backprop", "grad-cam", "deconvolution", "saliency", "input-x-gradient", "integrated-gradients"];

        var together = _host.Explain(model, reference.Input, [.. methods.Select(m => Request(m, targets))]);
        try
        {
            reference.AssertClose("captum.guided_backprop.raw@explicit", together[0].Raw);
            reference.AssertClose("captum.layer_grad_cam.raw@explicit", together[1].Raw);
            reference.AssertClose("gradcam.map@explicit", together[1].Map);
            foreach (var (method, index) in methods.Select((m, i) => (m, i)))
            {
                using var alone = Explain(model, reference.Input, method, targets);
                TensorAssert.Close(together[index].Raw, alone.Raw, 0, method);
                TensorAssert.Close(together[index].Map, alone.Map, 0, method);
            }
        }
        finally
        {
            foreach (var result in together)
            {
                result.Dispose();
            }
        }
    }

    private static double ExpectedFactor(string rule, int n, int k)
    {
        double Sum(Func<int, double> alpha, Func<int, double> weight) => k * Enumerable.Range(0, n).Sum(i => weight(i) * Math.Pow(alpha(i), k - 1));
        return (rule, n) switch
        {
            // Two-point Gauss–Legendre on [0,1]: α = 1/2 ∓ 1/(2√3), weights 1/2.
            ("gausslegendre", 2) => Sum(i => 0.5 + ((i == 0 ? -1 : 1) / (2 * Math.Sqrt(3))), _ => 0.5),
            ("gausslegendre", _) when 2 * n >= k => 1,
            ("riemann_trapezoid", _) => Sum(i => (double)i / (n - 1), i => (i == 0 || i == n - 1 ? 0.5 : 1.0) / (n - 1)),
            ("riemann_left", _) => Sum(i => (double)i / n, _ => 1.0 / n),
            ("riemann_right", _) => Sum(i => (i + 1.0) / n, _ => 1.0 / n),
            ("riemann_middle", _) => Sum(i => (i + 0.5) / n, _ => 1.0 / n),
            _ => throw new ArgumentException($"No closed form for {rule} with {n} points and power {k}."),
        };
    }

    private static string Show(Tensor t) => string.Join(", ", t.to(ScalarType.Float64).cpu().data<double>().ToArray().Select(v => v.ToString("G4", System.Globalization.CultureInfo.InvariantCulture)));

    private static Tensor Logits(IExplainable model, Tensor input, long[] targets)
    {
        using var noGrad = no_grad();
        using var logits = model.Module.call(input);
        return logits.gather(1, tensor(targets).unsqueeze(1)).squeeze(1);
    }

    private static ExplainRequest Request(string method, long[]? targets, params (string Key, string Value)[] options) =>
        new(method) { Targets = targets, Options = options.ToDictionary(o => o.Key, o => o.Value) };

    private SaliencyResult Explain(IExplainable model, Tensor input, string method, long[]? targets) =>
        _host.Explain(model, input, Request(method, targets));

    /// <summary>Flatten → Linear without bias: <c>f(x) = Wx</c>.</summary>
    private sealed partial class LinearNet : Module<Tensor, Tensor>
    {
        [ExplainLayer]
        private readonly Linear fc;

        public LinearNet() : base(nameof(LinearNet))
        {
            manual_seed(1);
            fc = Linear(2 * 5 * 5, 4, hasBias: false);
            RegisterComponents();
        }

        public override Tensor forward(Tensor input) => fc.call(input.flatten(1));
    }

    /// <summary><c>features</c> → global average pooling → <c>fc</c>, built from the parts each test needs.</summary>
    private sealed partial class GapHeadNet : Module<Tensor, Tensor>
    {
        [ExplainLayer]
        private readonly Sequential features;

        private readonly Linear fc;

        private GapHeadNet(Sequential features, Linear fc) : base(nameof(GapHeadNet))
        {
            this.features = features;
            this.fc = fc;
            RegisterComponents();
        }

        /// <summary>Conv → ReLU → MaxPool → Conv → ReLU → GAP → Linear, no biases anywhere: positively homogeneous.</summary>
        public static GapHeadNet Homogeneous()
        {
            manual_seed(2);
            return new(Sequential(Conv2d(3, 6, 3, padding: 1, bias: false), ReLU(), MaxPool2d(2), Conv2d(6, 8, 3, padding: 1, bias: false), ReLU()), Linear(8, 5, hasBias: false));
        }

        /// <summary>Conv → Tanh → Conv → Sigmoid → GAP → Linear, with biases: smooth everywhere.</summary>
        public static GapHeadNet Smooth()
        {
            manual_seed(3);
            return new(Sequential(Conv2d(3, 6, 3, padding: 1), Tanh(), Conv2d(6, 8, 3, padding: 1), Sigmoid()), Linear(8, 4));
        }

        /// <summary>Positive convolutions (weights and biases), so every ReLU input is positive for a positive input; a mixed-sign head.</summary>
        public static GapHeadNet Positive()
        {
            manual_seed(4);
            var features = Sequential(Conv2d(3, 4, 3, padding: 1), ReLU(), Conv2d(4, 6, 3, padding: 1), ReLU());
            using (no_grad())
            {
                foreach (var (_, parameter) in features.named_parameters())
                {
                    parameter.abs_().add_(0.05);
                }
            }

            return new(features, Linear(6, 5));
        }

        /// <summary>gapnet's architecture with in-place ReLU modules (as TorchVision's models have), untrained.</summary>
        public static GapHeadNet InPlaceGapNet() => new(
            Sequential(
                Conv2d(3, 8, 3, padding: 1), ReLU(inplace: true),
                Conv2d(8, 16, 3, padding: 1), ReLU(inplace: true),
                MaxPool2d(2),
                Conv2d(16, 32, 3, padding: 1), ReLU(inplace: true)),
            Linear(32, 10));

        public override Tensor forward(Tensor input) => fc.call(features.call(input).mean([2, 3]));
    }

    /// <summary><c>[(v·x)^k, v·x]</c> with <c>v</c> all ones: a polynomial along any ray from 0.</summary>
    private sealed partial class PowerNet : Module<Tensor, Tensor>
    {
        [ExplainLayer]
        private readonly Linear projection;

        private readonly int _power;

        public PowerNet(int power) : base(nameof(PowerNet))
        {
            _power = power;
            projection = Linear(3 * 4 * 4, 1, hasBias: false);
            using (no_grad())
            {
                projection.weight!.fill_(1.0);
            }

            RegisterComponents();
        }

        public override Tensor forward(Tensor input)
        {
            var s = projection.call(input.flatten(1));
            return cat([s.pow(_power), s], 1);
        }
    }
}
