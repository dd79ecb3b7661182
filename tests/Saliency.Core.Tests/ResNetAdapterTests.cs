using TorchSharp;
using static TorchSharp.torch;

namespace Saliency.Tests;

public sealed class ResNetAdapterTests
{
    [Fact]
    public void Resnet18_through_the_adapter_captures_layer4_and_satisfies_the_cam_identity()
    {
        manual_seed(0);
        using var resnet = torchvision.models.resnet18(num_classes: 10);
        resnet.eval();
        var model = ExplainableModule.Create(resnet, ["layer4"], classifierHead: "fc");
        manual_seed(1);
        using var x = randn(2, 3, 64, 64);

        using var capture = SaliencyEngine.Capture(model, x, targets: [3, 7]);

        capture.Activations.shape.Should().Equal(2, 512, 2, 2);
        capture.Gradients!.shape.Should().Equal(2, 512, 2, 2);
        using var scope = NewDisposeScope();
        // avgpool → fc: ∂y_c/∂A = w_c/(h·w), so mean_ij Σ_k (h·w·g_k)·A_k + b_c = y_c.
        var cam = (capture.Gradients * 4 * capture.Activations).sum(1);
        var targets = tensor(new long[] { 3, 7 });
        var logits = cam.mean([1, 2]) + model.ClassifierHead!.bias!.index_select(0, targets);
        TensorAssert.Close(logits, capture.Logits.gather(1, targets.unsqueeze(1)).squeeze(1), 1e-4);
    }

    [Fact]
    public void The_adapter_finds_the_residual_blocks_that_end_in_a_functional_relu()
    {
        using var resnet = torchvision.models.resnet18(num_classes: 10);
        var model = ExplainableModule.Create(resnet, ["layer4", "layer3.1"], classifierHead: "fc");

        model.FunctionalReluOutputs.Should().Equal("layer1.0", "layer1.1", "layer2.0", "layer2.1", "layer3.0", "layer3.1", "layer4.0", "layer4.1");
        model.UnguidableRelus.Should().BeEmpty();
        model.DefaultLayer.Should().Be("layer4");
        model.Layers.Select(l => (l.Name, l.IsDefault)).Should().Equal(("layer4", true), ("layer3.1", false));
        model.GetLayer("layer4.1.conv2").Should().BeOfType<TorchSharp.Modules.Conv2d>();
    }

    [Fact]
    public void Guided_backprop_runs_on_resnet18_and_differs_from_the_plain_gradient()
    {
        // Exactness of gating blocks that end in relu_() is proven on TinyResNet (CaptureEngineTests); here: it runs on
        // TorchVision's model, whose activations live in its own dispose scope, and changes the gradient.
        manual_seed(0);
        using var resnet = torchvision.models.resnet18(num_classes: 10);
        var model = ExplainableModule.Create(resnet, ["layer4"], classifierHead: "fc");
        manual_seed(2);
        using var x = randn(1, 3, 64, 64);

        using var guided = SaliencyEngine.InputGradients(model, x, [5], GradientMode.Guided);
        using var plain = SaliencyEngine.InputGradients(model, x, [5], GradientMode.Plain);

        guided.shape.Should().Equal(1, 3, 64, 64);
        using var difference = (guided - plain).abs().max();
        difference.item<float>().Should().BeGreaterThan(0);
        using var finite = guided.isfinite().all();
        finite.item<bool>().Should().BeTrue();
    }
}
