using Saliency.Evaluation;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Saliency.Tests;

/// <summary>A tiny CAM-shaped network: two 3×3 convolutions, global average pooling and a linear head.</summary>
public sealed partial class TinyNet : Module<Tensor, Tensor>
{
    [ExplainLayer(IsDefault = true)]
    private readonly Sequential features;

    [ClassifierHead]
    private readonly Linear fc;

    public TinyNet()
        : base(nameof(TinyNet))
    {
        features = Sequential(("conv1", Conv2d(1, 6, 3, padding: 1)), ("relu1", ReLU()), ("conv2", Conv2d(6, 6, 3, padding: 1)), ("relu2", ReLU()));
        fc = Linear(6, 3);
        RegisterComponents();
    }

    public override Tensor forward(Tensor input) => fc.call(features.call(input).mean([2, 3]));
}

/// <summary>A "method" that ignores the model: the input's magnitude, min-max scaled (an edge detector would do the same).</summary>
public sealed class InputMagnitude : ISaliencyMethod
{
    public MethodDescriptor Descriptor { get; } = new("input-magnitude", "Input magnitude", "The input's absolute value; ignores the model.", MethodRequirements.None);

    public SaliencyResult Explain(IExplanationContext context)
    {
        using var scope = NewDisposeScope();
        var raw = context.Input.abs().sum([1]);
        return context.Result(raw, SaliencyMaps.MinMaxNormalize(raw));
    }
}

public sealed class SanityCheckTests : IDisposable
{
    private readonly SaliencyHost _host = SaliencyHost.Create(new SaliencyHostOptions { HotReload = false, UseEnvironmentPluginPath = false, Device = "cpu" });

    public SanityCheckTests() => _host.Register(new InputMagnitude());

    public void Dispose() => _host.Dispose();

    [Fact]
    public void Spearman_matches_the_hand_computed_rank_correlation()
    {
        // d = (0, 1, 1, 0): ρ = 1 − 6·2 / (4·15) = 0.8.
        SanityCheck.Spearman([1f, 2f, 3f, 4f], [1f, 3f, 2f, 4f]).Should().BeApproximately(0.8, 1e-12);
        SanityCheck.Spearman([1f, 2f, 3f, 4f], [10f, 20f, 300f, 4000f]).Should().BeApproximately(1, 1e-12);
        SanityCheck.Spearman([1f, 2f, 3f, 4f], [4f, 3f, 2f, 1f]).Should().BeApproximately(-1, 1e-12);
        SanityCheck.Spearman([1f, 2f, 3f, 4f], [5f, 5f, 5f, 5f]).Should().Be(0);
        SanityCheck.Spearman([0f, 0f, 0f], [0f, 0f, 0f]).Should().Be(1);
    }

    [Fact]
    public void Ssim_is_one_for_identical_maps_and_c1_over_one_plus_c1_for_black_against_white()
    {
        var values = Enumerable.Range(0, 81).Select(i => (float)Math.Sin(i)).ToArray();
        SanityCheck.Ssim(new SaliencyMap(values, 9, 9), new SaliencyMap(values, 9, 9)).Should().BeApproximately(1, 1e-12);
        var black = new SaliencyMap(new float[49], 7, 7);
        var white = new SaliencyMap([.. Enumerable.Repeat(1f, 49)], 7, 7);
        SanityCheck.Ssim(black, white).Should().BeApproximately(1e-4 / (1 + 1e-4), 1e-12);
    }

    [Fact]
    public void The_cascade_randomizes_parameterised_layers_from_the_output_down()
    {
        using var model = new TinyNet();
        using var input = rand(1, 1, 8, 8);
        SanityCheck.RandomizationOrder(model, input).Should().Equal("fc", "features.conv2", "features.conv1");
    }

    [Fact]
    public void On_a_randomized_tiny_model_grad_cam_changes_but_a_model_blind_method_does_not_and_the_weights_come_back()
    {
        manual_seed(5);
        using var model = new TinyNet();
        using var inputs = rand(4, 1, 12, 12);
        var before = model.parameters().Select(p => p.detach().clone()).ToList();

        var steps = SanityCheck.CascadingRandomization(_host, model, inputs, [0, 1, 2, 0], ["grad-cam", "input-magnitude"], seed: 3);

        steps.Select(s => s.Layer).Should().Equal(SanityCheck.Original, "fc", "features.conv2", "features.conv1");
        steps[0].Spearman["grad-cam"].Should().BeApproximately(1, 1e-9);
        steps.Should().AllSatisfy(s => s.Spearman["input-magnitude"].Should().BeApproximately(1, 1e-9));
        steps.Should().AllSatisfy(s => s.Ssim["input-magnitude"].Should().BeApproximately(1, 1e-9));
        steps[^1].Spearman["grad-cam"].Should().BeLessThan(0.5);
        model.parameters().Zip(before).Should().AllSatisfy(pair => pair.First.allclose(pair.Second, rtol: 0, atol: 0).Should().BeTrue());
    }
}
