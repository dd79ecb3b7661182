using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Saliency.Tests;

/// <summary>The README's code, compiled and run, so that the README stays true.</summary>
public sealed partial class ReadmeExampleTests : IClassFixture<HostFixture>
{
    private readonly SaliencyHost _host;

    public ReadmeExampleTests(HostFixture fixture) => _host = fixture.Host;

    [Fact]
    public void The_explain_from_csharp_example_runs_and_its_maps_have_the_stated_shapes()
    {
        var host = _host;
        using var model = new SmallNet();
        using var images = torch.randn(8, 3, 64, 64);

        using var gradCam = host.Explain(model, images, new ExplainRequest("grad-cam"));
        using var guided = host.Explain(model, images, new ExplainRequest("guided-grad-cam") { Targets = [3, 3, 1, 0, 7, 7, 2, 9] });
        Tensor heatmaps = gradCam.Map;
        var probability = ExplanationTarget.FromFunction("p(class 3)", (output, items) => output.softmax(1)[.., 3]);
        using var byProbability = host.Explain(model, images, new ExplainRequest("grad-cam") { Target = probability });
        using var fused = host.Explain(model, images, new ExplainRequest("grad-cam") { Layers = ["features.2", "features"] }, CancellationToken.None);
        var all = host.Explain(model, images, [new("cam"), new("grad-cam"), new("guided-backprop"), new("guided-grad-cam")]);

        byProbability.Map.shape.Should().Equal(8, 64, 64);
        byProbability.Targets.data<long>().ToArray().Should().OnlyContain(t => t == -1, "a function target is not a class");
        fused.Layer.Should().Be("features.2,features");
        fused.Map.shape.Should().Equal(8, 64, 64);

        heatmaps.shape.Should().Equal(8, 64, 64);
        guided.Raw.shape.Should().Equal(8, 3, 64, 64);
        guided.Targets.data<long>().ToArray().Should().Equal(3, 3, 1, 0, 7, 7, 2, 9);
        all.Select(r => r.Method).Should().Equal("cam", "grad-cam", "guided-backprop", "guided-grad-cam");
        SmallNet.Layers.Features.Should().Be("features");
        foreach (var result in all)
        {
            result.Dispose();
        }
    }

    [Fact]
    public void The_adapter_example_builds_a_view_of_resnet18()
    {
        using var resnet = torchvision.models.resnet18();
        var model = ExplainableModule.Create(resnet, ["layer4"], classifierHead: "fc");
        model.ClassifierHead.Should().NotBeNull();
        model.DefaultLayer.Should().Be("layer4");
    }

    /// <summary>The README's SmallNet, verbatim.</summary>
    public sealed partial class SmallNet : Module<Tensor, Tensor>
    {
        [ExplainLayer(IsDefault = true)] private readonly Sequential features;
        [ClassifierHead] private readonly Linear fc;      // the Linear after global average pooling

        public SmallNet() : base(nameof(SmallNet))
        {
            features = Sequential(Conv2d(3, 16, 3, padding: 1), ReLU(), Conv2d(16, 32, 3, padding: 1), ReLU());
            fc = Linear(32, 10);
            RegisterComponents();
        }

        public override Tensor forward(Tensor x) => fc.call(features.call(x).mean([2, 3]));
    }
}
