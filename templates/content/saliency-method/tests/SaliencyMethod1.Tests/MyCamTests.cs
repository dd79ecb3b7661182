using Saliency;
using TorchSharp.Modules;
using Xunit;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace SaliencyMethod1.Tests;

public sealed class MyCamTests
{
    /// <summary>
    /// On a network that ends in global average pooling and a Linear head, every position of the layer has the same
    /// gradient, W[c,k] / area, so Grad-CAM's weights give ReLU(CAM) / area: checked against the built-in "cam".
    /// </summary>
    [Fact]
    public void On_a_gap_net_it_is_relu_of_cam_over_the_area()
    {
        using var host = SaliencyHost.Create(new SaliencyHostOptions { HotReload = false, UseEnvironmentPluginPath = false });
        host.Register(new MyCam());
        manual_seed(7);
        using var model = new GapNet();
        using var images = randn(2, 3, 12, 12);

        var results = host.Explain(model, images, [new ExplainRequest("cam") { Targets = [1, 3] }, new ExplainRequest("my-cam") { Targets = [1, 3] }]);
        using var cam = results[0];
        using var mine = results[1];

        var area = cam.Raw.shape[1] * cam.Raw.shape[2];
        using var expected = cam.Raw.relu() / area;
        using var difference = (mine.Raw - expected).abs().max();
        using var peak = expected.abs().max();
        Assert.True(difference.item<float>() <= 1e-5f * peak.item<float>(), $"max |my-cam - ReLU(cam)/area| = {difference.item<float>()}");
        Assert.Equal(new long[] { 2, 12, 12 }, mine.Map.shape);
    }
}

/// <summary>A small network that ends in global average pooling and a Linear head (CAM's architecture).</summary>
internal sealed partial class GapNet : Module<Tensor, Tensor>
{
    [ExplainLayer(IsDefault = true)] private readonly Sequential features;
    [ClassifierHead] private readonly Linear head;

    public GapNet() : base(nameof(GapNet))
    {
        features = Sequential(Conv2d(3, 8, 3, padding: 1), ReLU(), Conv2d(8, 6, 3, padding: 1), ReLU());
        head = Linear(6, 4);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => head.call(features.call(x).mean([2, 3]));
}
