using static TorchSharp.torch;

namespace Saliency.Tests;

/// <summary>
/// The context API serves the perturbation methods: the score-cam and ablation-cam plugins, written against it alone,
/// reproduce pytorch-grad-cam's fixtures whatever their batch size; targets other than a class, several layers fused,
/// typed options and cancellation work end to end; a layer's output fanned out runs the layers before it once.
/// </summary>
public sealed class ContextApiTests : IDisposable
{
    private readonly SaliencyHost _host = SaliencyHost.Create(new SaliencyHostOptions { HotReload = false, UseEnvironmentPluginPath = false, Device = "cpu" });

    public static TheoryData<string, bool> Cases => new()
    {
        { "gapnet", false }, { "gapnet", true }, { "vggmini", false }, { "vggmini", true },
    };

    public void Dispose() => _host.Dispose();

    [Theory]
    [MemberData(nameof(Cases))]
    public void Score_cam_matches_pytorch_grad_cam_whatever_the_batch_size(string name, bool @explicit)
    {
        using var reference = ReferenceCase.Load(name);
        using var model = Models.Load(reference);
        var suffix = @explicit ? "@explicit" : string.Empty;
        using var expectedRaw = reference.Expected($"scorecam.raw{suffix}").relu();

        foreach (var batchSize in new[] { "5", "32" })
        {
            using var result = _host.Explain(model, reference.Input, new ExplainRequest("score-cam") { Targets = reference.Targets(@explicit), Options = new Dictionary<string, string> { ["batch-size"] = batchSize } });

            TensorAssert.Close(result.Raw, expectedRaw, 1e-3 * reference.Peak($"scorecam.raw{suffix}"));
            reference.AssertClose($"scorecam.map{suffix}", result.Map);
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Ablation_cam_matches_pytorch_grad_cam_whatever_the_batch_size(string name, bool @explicit)
    {
        using var reference = ReferenceCase.Load(name);
        using var model = Models.Load(reference);
        var suffix = @explicit ? "@explicit" : string.Empty;
        using var expectedRaw = reference.Expected($"ablationcam.raw{suffix}").relu();

        foreach (var batchSize in new[] { "7", "64" })
        {
            using var result = _host.Explain(model, reference.Input, new ExplainRequest("ablation-cam") { Targets = reference.Targets(@explicit), Options = new Dictionary<string, string> { ["batch-size"] = batchSize } });

            TensorAssert.Close(result.Raw, expectedRaw, 1e-3 * reference.Peak($"ablationcam.raw{suffix}"));
            reference.AssertClose($"ablationcam.map{suffix}", result.Map);
        }
    }

    [Fact]
    public void A_layer_output_fanned_out_runs_the_layers_before_it_once_per_chunk_and_scores_like_one_row_per_input()
    {
        using var net = new CountingNet();
        var model = ExplainableModule.Create(net, ["features"], "fc");
        using var input = linspace(-1, 1, 2 * 3 * 8 * 8).reshape(2, 3, 8, 8);
        var probe = new LayerOutputProbe(net);
        _host.Register(probe);

        using var result = _host.Explain(model, input, new ExplainRequest(probe.Descriptor.Id));

        // 2 items × 4 channels ablated, chunks of 3: per item, chunks of 3 and 1 rows → 4 runs of the layers before.
        probe.FannedOut!.allclose(probe.RowByRow!, 1e-6, 1e-6).Should().BeTrue("fanning out changes which work is shared, not the scores");
        probe.StemRowsFannedOut.Should().Be(4, "the stem ran once per chunk of one item, not once per row (8)");
    }

    [Fact]
    public void Score_cam_scores_the_zero_image_once_for_all_channels_that_are_zero_everywhere_with_the_same_numbers()
    {
        // Channels 1 and 3 of the layer are dead (bias −100 before the ReLU): their masks are 0, their masked input the zero image.
        using var net = new CountingNet(deadChannels: [1, 3]);
        var model = ExplainableModule.Create(net, ["features"], "fc");
        using var input = linspace(-1, 1, 2 * 3 * 8 * 8).reshape(2, 3, 8, 8);
        long[] targets = [0, 2];

        var before = net.StemRows;
        using var result = _host.Explain(model, input, new ExplainRequest("score-cam") { Targets = targets, Options = new Dictionary<string, string> { ["batch-size"] = "2" } });
        var rows = net.StemRows - before;

        // By hand, pytorch-grad-cam's loop: every channel's masked input scored on its own.
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var activations = net.Features(input);
        activations[.., 1].abs().max().item<float>().Should().Be(0, "the test needs dead channels");
        var raws = new List<Tensor>();
        for (var item = 0; item < 2; item++)
        {
            var upsampled = nn.functional.interpolate(activations.narrow(0, item, 1), [8, 8], mode: InterpolationMode.Bilinear, align_corners: true)[0];
            var flat = upsampled.flatten(1);
            var masks = (upsampled - flat.amin([1], keepdim: true).unsqueeze(-1)) / (flat.amax([1], keepdim: true).unsqueeze(-1) - flat.amin([1], keepdim: true).unsqueeze(-1) + 1e-8);
            var scores = net.call(input.narrow(0, item, 1) * masks.unsqueeze(1))[.., targets[item]];
            raws.Add((scores.softmax(0).reshape(-1, 1, 1) * activations[item]).sum([0]).relu());
        }

        TensorAssert.Close(result.Raw, stack(raws, 0), 1e-6);
        rows.Should().Be(2 + (2 * 3), "one forward for the activations (2 rows), then per item 2 live channels + 1 zero image instead of 4 masked inputs");
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

        var act = () => _host.Explain(model, reference.Input, new ExplainRequest("score-cam") { Options = new Dictionary<string, string> { ["batch-size"] = "many" } });

        act.Should().Throw<ArgumentException>().WithMessage("Option 'batch-size' of method 'score-cam' must be a value of type Int32; got 'many'.*");
    }

    [Fact]
    public void Cancellation_stops_a_perturbation_method_between_chunks()
    {
        using var reference = ReferenceCase.Load("gapnet");
        using var model = Models.Load(reference);
        using var cancellation = new CancellationTokenSource();
        var chunks = 0;
        var cancelling = ExplanationTarget.FromFunction("class 0, cancelled after the first chunk", (output, items) =>
        {
            if (output.shape[0] > 2 && ++chunks == 1)
            {
                cancellation.Cancel();
            }

            return output[.., 0];
        });

        var act = () => _host.Explain(model, reference.Input, new ExplainRequest("score-cam") { Target = cancelling, Options = new Dictionary<string, string> { ["batch-size"] = "4" } }, cancellation.Token);

        act.Should().Throw<OperationCanceledException>();
        chunks.Should().Be(1, "no chunk runs after the cancellation (32 channels in chunks of 4 would be 8 per item)");
    }

    /// <summary>Scores ablated layer outputs through the context twice: fanned out (chunks of 3), and one row at a time.</summary>
    private sealed class LayerOutputProbe(CountingNet net) : ISaliencyMethod
    {
        public MethodDescriptor Descriptor { get; } = new("test-layer-output-probe", "Probe", "Scores ablated layer outputs two ways.", MethodRequirements.LayerActivations);

        public Tensor? FannedOut { get; private set; }

        public Tensor? RowByRow { get; private set; }

        public int StemRowsFannedOut { get; private set; }

        public SaliencyResult Explain(IExplanationContext context)
        {
            var a = context.Activations;
            var (batch, channels) = (a.shape[0], a.shape[1]);
            var keep = ones(channels, channels).sub_(eye(channels)).reshape(1, channels, channels, 1, 1);
            var ablated = (a.unsqueeze(1) * keep).reshape(batch * channels, channels, a.shape[2], a.shape[3]);
            var items = arange(batch).repeat_interleave(channels);
            var before = net.StemRows;
            FannedOut = context.ScoreLayerOutputs(ablated, items, 3).clone().DetachFromDisposeScope();
            StemRowsFannedOut = net.StemRows - before;
            var single = new List<Tensor>();
            for (var row = 0; row < ablated.shape[0]; row++)
            {
                single.Add(context.ScoreLayerOutputs(ablated.narrow(0, row, 1), items.narrow(0, row, 1), 1));
            }

            RowByRow = cat(single, 0).clone().DetachFromDisposeScope();
            return context.Result(zeros(batch, 1), zeros(batch, context.InputHeight, context.InputWidth));
        }
    }

    /// <summary>Stem Conv(3→4) → features ReLU → GAP → Linear(4→3); counts the rows its stem has seen; some channels may be made dead.</summary>
    private sealed class CountingNet : nn.Module<Tensor, Tensor>
    {
        private readonly nn.Module<Tensor, Tensor> stem;
        private readonly nn.Module<Tensor, Tensor> features;
        private readonly nn.Module<Tensor, Tensor> fc;

        public CountingNet(long[]? deadChannels = null) : base(nameof(CountingNet))
        {
            stem = nn.Conv2d(3, 4, 3, padding: 1);
            features = nn.ReLU();
            fc = nn.Linear(4, 3);
            RegisterComponents();
            using var noGrad = no_grad();
            using var generator = new Generator(11);
            foreach (var parameter in parameters())
            {
                parameter.copy_(randn(parameter.shape, generator: generator) * 0.5);
            }

            foreach (var channel in deadChannels ?? [])
            {
                ((TorchSharp.Modules.Conv2d)stem).bias![channel] = tensor(-100f);
            }
        }

        public int StemRows { get; private set; }

        /// <summary>The explained layer's output, without counting.</summary>
        public Tensor Features(Tensor input) => features.call(stem.call(input));

        public override Tensor forward(Tensor input)
        {
            StemRows += (int)input.shape[0];
            return fc.call(features.call(stem.call(input)).mean([2, 3]));
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
