using static TorchSharp.torch;

namespace Saliency.Tests;

/// <summary>
/// The context API is enough for the perturbation methods to come: Score-CAM's and Ablation-CAM's core loops written
/// against it (as in-process methods, no plugin) reproduce pytorch-grad-cam's fixtures; targets other than a class,
/// several layers fused, typed options and cancellation work end to end.
/// </summary>
public sealed class ContextApiTests : IDisposable
{
    private readonly SaliencyHost _host = SaliencyHost.Create(new SaliencyHostOptions { HotReload = false, UseEnvironmentPluginPath = false, Device = "cpu" });

    public ContextApiTests()
    {
        _host.Register(new ScoreCamCore());
        _host.Register(new AblationCamCore());
    }

    public static TheoryData<string, bool> Cases => new()
    {
        { "gapnet", false }, { "gapnet", true }, { "vggmini", false }, { "vggmini", true },
    };

    public void Dispose() => _host.Dispose();

    [Theory]
    [MemberData(nameof(Cases))]
    public void Score_cam_written_against_the_context_matches_pytorch_grad_cam(string name, bool @explicit)
    {
        using var reference = ReferenceCase.Load(name);
        using var model = Models.Load(reference);

        using var result = _host.Explain(model, reference.Input, new ExplainRequest("test-score-cam") { Targets = reference.Targets(@explicit), Options = new Dictionary<string, string> { ["batch-size"] = "5" } });

        reference.AssertClose($"scorecam.raw{(@explicit ? "@explicit" : string.Empty)}", result.Raw);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Ablation_cam_written_against_the_context_matches_pytorch_grad_cam(string name, bool @explicit)
    {
        using var reference = ReferenceCase.Load(name);
        using var model = Models.Load(reference);

        using var result = _host.Explain(model, reference.Input, new ExplainRequest("test-ablation-cam") { Targets = reference.Targets(@explicit) });

        reference.AssertClose($"ablationcam.raw{(@explicit ? "@explicit" : string.Empty)}", result.Raw);
    }

    [Fact]
    public void A_function_target_explains_what_it_scores_and_a_class_target_is_the_same_as_class_indices()
    {
        using var reference = ReferenceCase.Load("gapnet");
        using var model = Models.Load(reference);
        var classes = reference.Targets(@explicit: true);

        using var byIndex = _host.Explain(model, reference.Input, new ExplainRequest("grad-cam") { Targets = classes });
        using var byTarget = _host.Explain(model, reference.Input, new ExplainRequest("grad-cam") { Target = new ClassTarget(classes) });
        var twice = ExplanationTarget.FromFunction("twice the class logit", (output, items) => 2 * new ClassTarget(classes).Score(output, items));
        using var doubled = _host.Explain(model, reference.Input, new ExplainRequest("grad-cam") { Target = twice });

        byTarget.Raw.allclose(byIndex.Raw, 0, 0).Should().BeTrue();
        doubled.Raw.allclose(2 * byIndex.Raw, 1e-6, 1e-12).Should().BeTrue("Grad-CAM is linear in the explained score");
        doubled.Map.allclose(byIndex.Map, 1e-5, 1e-6).Should().BeTrue("the map is scale-free");
        doubled.Targets.data<long>().ToArray().Should().Equal([-1, -1], "a function target is not a class");
    }

    [Fact]
    public void A_model_whose_output_is_not_logits_is_explained_through_its_target()
    {
        // A segmentation-like model: [B,2,H,W] maps; the target sums class 1 over the left half of the image.
        using var net = new TinySegmenter();
        var model = ExplainableModule.Create(net, ["features"]);
        using var input = linspace(-1, 1, 2 * 3 * 8 * 8).reshape(2, 3, 8, 8);
        var leftHalfOfClassOne = ExplanationTarget.FromFunction("class 1, left half", (output, _) => output[.., 1, .., ..4].sum([1, 2]));

        using var result = _host.Explain(model, input, new ExplainRequest("grad-cam") { Target = leftHalfOfClassOne });
        var withoutTarget = () => _host.Explain(model, input, new ExplainRequest("grad-cam"));

        result.Map.shape.Should().Equal([2, 8, 8]);
        result.Raw.shape.Should().Equal([2, 8, 8]);
        withoutTarget.Should().Throw<SaliencyException>().WithMessage("*returned [2,2,8,8]; explaining needs logits [B,classes]*or a request Target that scores this output*");
    }

    [Fact]
    public void Several_layers_are_fused_into_one_map_as_pytorch_grad_cam_does()
    {
        using var reference = ReferenceCase.Load("gapnet");
        using var model = Models.Load(reference);
        var classes = reference.Targets(@explicit: false);

        using var deep = _host.Explain(model, reference.Input, new ExplainRequest("grad-cam") { Targets = classes, Layer = "features" });
        using var shallow = _host.Explain(model, reference.Input, new ExplainRequest("grad-cam") { Targets = classes, Layer = "features.3" });
        using var fused = _host.Explain(model, reference.Input, new ExplainRequest("grad-cam") { Targets = classes, Layers = ["features", "features.3"] });

        using var mean = (deep.Map.relu() + shallow.Map.relu()) / 2;
        fused.Layer.Should().Be("features,features.3");
        fused.Raw.allclose(mean, 1e-6, 1e-7).Should().BeTrue();
        using var expected = SaliencyMaps.MinMaxNormalize(mean, SaliencyMaps.GradCamEpsilon);
        fused.Map.allclose(expected, 1e-6, 1e-7).Should().BeTrue();
    }

    [Fact]
    public void A_typed_option_that_does_not_parse_names_the_method_key_and_value()
    {
        using var reference = ReferenceCase.Load("gapnet");
        using var model = Models.Load(reference);

        var act = () => _host.Explain(model, reference.Input, new ExplainRequest("test-score-cam") { Options = new Dictionary<string, string> { ["batch-size"] = "many" } });

        act.Should().Throw<ArgumentException>().WithMessage("Option 'batch-size' of method 'test-score-cam' must be a value of type Int32; got 'many'.*");
    }

    [Fact]
    public void Cancellation_stops_a_perturbation_method_between_chunks()
    {
        using var reference = ReferenceCase.Load("gapnet");
        using var model = Models.Load(reference);
        using var cancellation = new CancellationTokenSource();
        var method = new ScoreCamCore("test-score-cam-cancelled") { AfterFirstChunk = cancellation.Cancel };
        _host.Register(method);

        var act = () => _host.Explain(model, reference.Input, new ExplainRequest(method.Descriptor.Id) { Options = new Dictionary<string, string> { ["batch-size"] = "4" } }, cancellation.Token);

        act.Should().Throw<OperationCanceledException>();
        method.Chunks.Should().Be(1, "the second chunk is never run");
    }

    /// <summary>Score-CAM's core loop (Wang et al. 2020, pytorch-grad-cam's rule) on the context API alone.</summary>
    private sealed class ScoreCamCore(string id = "test-score-cam") : ISaliencyMethod
    {
        public MethodDescriptor Descriptor { get; } = new(id, "Score-CAM (test)", "Score-CAM's core loop, for the context API tests.", MethodRequirements.LayerActivations);

        public Action? AfterFirstChunk { get; init; }

        public int Chunks { get; private set; }

        public SaliencyResult Explain(IExplanationContext context)
        {
            var chunk = context.GetOption("batch-size", 16);
            var activations = context.Activations;
            var (batch, channels) = (activations.shape[0], activations.shape[1]);
            var upsampled = nn.functional.interpolate(activations, [context.InputHeight, context.InputWidth], mode: InterpolationMode.Bilinear, align_corners: true);
            var flat = upsampled.flatten(2);
            var low = flat.amin([2], keepdim: true).unsqueeze(-1);
            var high = flat.amax([2], keepdim: true).unsqueeze(-1);
            var masks = (upsampled - low) / (high - low + 1e-8);
            var inputs = (context.Input.unsqueeze(1) * masks.unsqueeze(2)).reshape(batch * channels, context.Input.shape[1], context.InputHeight, context.InputWidth);
            var items = arange(batch).repeat_interleave(channels);
            var scores = new List<Tensor>();
            for (long start = 0; start < inputs.shape[0]; start += chunk)
            {
                var length = Math.Min(chunk, inputs.shape[0] - start);
                scores.Add(context.ScoreInputs(inputs.narrow(0, start, length), items.narrow(0, start, length), chunk));
                Chunks++;
                AfterFirstChunk?.Invoke();
            }

            var weights = cat(scores, 0).reshape(batch, channels).softmax(1);
            var raw = SaliencyMaps.WeightedSum(weights, activations);
            return context.Result(raw, SaliencyMaps.ScaleCam(raw, context.InputHeight, context.InputWidth));
        }
    }

    /// <summary>Ablation-CAM's core loop (pytorch-grad-cam's rule: channel set to 0, weight (Y − Y_k)/Y) on the context API alone.</summary>
    private sealed class AblationCamCore : ISaliencyMethod
    {
        public MethodDescriptor Descriptor { get; } = new("test-ablation-cam", "Ablation-CAM (test)", "Ablation-CAM's core loop, for the context API tests.", MethodRequirements.LayerActivations);

        public SaliencyResult Explain(IExplanationContext context)
        {
            var activations = context.Activations;
            var (batch, channels) = (activations.shape[0], activations.shape[1]);
            var keep = ones(channels, channels).sub_(eye(channels)).reshape(1, channels, channels, 1, 1);
            var ablated = (activations.unsqueeze(1) * keep).reshape(batch * channels, channels, activations.shape[2], activations.shape[3]);
            var items = arange(batch).repeat_interleave(channels);
            var scores = context.ScoreLayerOutputs(ablated, items, 32).reshape(batch, channels);
            var original = context.Scores.unsqueeze(1);
            var weights = (original - scores) / original;
            var raw = SaliencyMaps.WeightedSum(weights, activations);
            return context.Result(raw, SaliencyMaps.ScaleCam(raw, context.InputHeight, context.InputWidth));
        }
    }

    /// <summary>Conv(3→4) → ReLU → Conv(4→2): a per-pixel two-class map, no classifier.</summary>
    private sealed class TinySegmenter : nn.Module<Tensor, Tensor>
    {
        private readonly nn.Module<Tensor, Tensor> features;
        private readonly nn.Module<Tensor, Tensor> head;

        public TinySegmenter() : base(nameof(TinySegmenter))
        {
            features = nn.Sequential(nn.Conv2d(3, 4, 3, padding: 1), nn.ReLU());
            head = nn.Conv2d(4, 2, 1);
            RegisterComponents();
            using var noGrad = no_grad();
            using var generator = new Generator(7);
            foreach (var parameter in parameters())
            {
                parameter.copy_(randn(parameter.shape, generator: generator) * 0.5);
            }
        }

        public override Tensor forward(Tensor input) => head.call(features.call(input));
    }
}
