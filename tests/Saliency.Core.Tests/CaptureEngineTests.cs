using TorchSharp;
using static TorchSharp.torch;

namespace Saliency.Tests;

public sealed class CaptureEngineTests
{
    private static Tensor Input(long batch = 2, long size = 4)
    {
        manual_seed(42);
        return randn(batch, 1, size, size);
    }

    [Fact]
    public void Captured_activation_equals_the_hand_computed_layer_output()
    {
        using var net = new GapLinearNet();
        var model = ExplainableModule.Create(net, ["features"], "fc");
        using var x = Input();

        using var capture = SaliencyEngine.Capture(model, x, gradients: false);

        using var expected = GapLinearNet.ExpectedActivation(x);
        TensorAssert.Close(capture.Activations, expected, 1e-6);
        capture.Gradients.Should().BeNull();
    }

    [Fact]
    public void Gradient_of_a_gap_linear_head_is_the_class_weight_over_the_area_at_every_position()
    {
        using var net = new GapLinearNet();
        var model = ExplainableModule.Create(net, ["features"], "fc");
        using var x = Input(batch: 2, size: 4);
        long[] targets = [1, 0];

        using var capture = SaliencyEngine.Capture(model, x, targets: targets);

        // ∂y_c/∂A[b,k,i,j] = W[c_b,k] / (h·w)
        using var expected = net.Fc.weight!.index_select(0, tensor(targets)).reshape(2, 3, 1, 1).expand(2, 3, 4, 4) / 16.0;
        TensorAssert.Close(capture.Gradients!, expected, 1e-7);
        capture.Targets.data<long>().ToArray().Should().Equal(targets);
    }

    [Fact]
    public void Default_targets_are_the_argmax_of_the_logits()
    {
        using var net = new GapLinearNet();
        var model = ExplainableModule.Create(net, ["features"], "fc");
        using var x = Input(batch: 4);

        using var capture = SaliencyEngine.Capture(model, x);

        using var logits = net.call(x);
        TensorAssert.Close(capture.Logits, logits, 1e-6);
        capture.Targets.data<long>().ToArray().Should().Equal(logits.argmax(1).data<long>().ToArray());
    }

    [Theory]
    [InlineData("relu_")]
    [InlineData("add_")]
    public void An_in_place_operation_after_the_layer_corrupts_neither_activation_nor_gradient(string afterLayer)
    {
        using var net = new GapLinearNet(afterLayer);
        var model = ExplainableModule.Create(net, ["features"], "fc");
        using var x = Input();
        long[] targets = [0, 1];

        using var capture = SaliencyEngine.Capture(model, x, targets: targets);

        using var expected = GapLinearNet.ExpectedActivation(x);
        TensorAssert.Close(capture.Activations, expected, 1e-6, "the activation is the layer output before the in-place op");

        // The same gradient computed with plain TorchSharp on a leaf copy of the activation.
        using var leaf = expected.clone().requires_grad_(true);
        using var after = afterLayer == "relu_" ? leaf.relu() : leaf + 1.0;
        using var score = net.Fc.call(after.mean([2, 3])).gather(1, tensor(targets).unsqueeze(1)).sum();
        using var reference = autograd.grad([score], [leaf])[0];
        TensorAssert.Close(capture.Gradients!, reference, 1e-7);
    }

    [Fact]
    public void Works_inside_no_grad_and_leaves_grad_mode_off()
    {
        using var net = new GapLinearNet();
        var model = ExplainableModule.Create(net, ["features"], "fc");
        using var x = Input();

        LayerCapture capture;
        using (no_grad())
        {
            capture = SaliencyEngine.Capture(model, x, targets: [0, 0]);
            is_grad_enabled().Should().BeFalse();
        }

        using (capture)
        {
            using var expected = net.Fc.weight![0].reshape(1, 3, 1, 1).expand(2, 3, 4, 4) / 16.0;
            TensorAssert.Close(capture.Gradients!, expected, 1e-7);
        }

        is_grad_enabled().Should().BeTrue();
    }

    [Fact]
    public void Works_on_a_frozen_backbone()
    {
        using var net = new GapLinearNet();
        foreach (var p in net.parameters())
        {
            p.requires_grad = false;
        }

        var model = ExplainableModule.Create(net, ["features"], "fc");
        using var x = Input();

        using var capture = SaliencyEngine.Capture(model, x, targets: [1, 1]);
        using var guided = SaliencyEngine.InputGradients(model, x, [0, 0]);

        using var expected = net.Fc.weight![1].reshape(1, 3, 1, 1).expand(2, 3, 4, 4) / 16.0;
        TensorAssert.Close(capture.Gradients!, expected, 1e-7);
        // ∂y_0/∂x = Σ_k W[0,k]·w_k / (h·w) everywhere: (1·1 + 2·(−2) + 3·0.5) / 16
        var dx = ((1.0 * 1) + (2.0 * -2) + (3.0 * 0.5)) / 16.0;
        TensorAssert.Close(guided, full_like(x, dx), 1e-7);
        net.parameters().Should().OnlyContain(p => !p.requires_grad);
    }

    [Fact]
    public void Parameters_receive_no_gradient_and_the_caller_input_is_untouched()
    {
        using var net = new GapLinearNet();
        var model = ExplainableModule.Create(net, ["features"], "fc");
        using var x = Input();
        using var before = x.clone();

        using (SaliencyEngine.Capture(model, x))
        using (SaliencyEngine.InputGradients(model, x, mode: GradientMode.Guided))
        {
        }

        foreach (var (name, p) in net.named_parameters())
        {
            (p.grad is null || p.grad.IsInvalid).Should().BeTrue($"{name} must not accumulate a gradient");
        }

        x.requires_grad.Should().BeFalse();
        TensorAssert.Close(x, before, 0);
    }

    [Fact]
    public void Train_and_eval_flags_are_restored_exactly()
    {
        using var net = new GapLinearNet();
        net.train();
        net.Fc.eval();
        var model = ExplainableModule.Create(net, ["features"], "fc");
        using var x = Input();
        var seen = false;
        using var probe = ExplainableSupport.RegisterForwardHook(net.Features, (m, _, _) =>
        {
            seen = true;
            m.training.Should().BeFalse("the explanation runs in eval mode");
            return null;
        });

        using (SaliencyEngine.Capture(model, x))
        {
        }

        seen.Should().BeTrue();
        net.training.Should().BeTrue();
        net.Features.training.Should().BeTrue();
        net.Fc.training.Should().BeFalse();
    }

    [Fact]
    public void Hooks_are_removed_after_success_and_after_an_exception()
    {
        using var net = new GapLinearNet();
        var model = ExplainableModule.Create(net, ["features"], "fc");
        using var x = Input();
        var baseline = TensorsCreatedByForward(net, x);

        using (SaliencyEngine.Capture(model, x))
        {
        }

        TensorsCreatedByForward(net, x).Should().Be(baseline, "no capture hook may stay on the layer");

        net.ThrowAfterLayer = true;
        var act = () => SaliencyEngine.Capture(model, x);
        act.Should().Throw<InvalidOperationException>().WithMessage("boom");
        net.ThrowAfterLayer = false;
        TensorsCreatedByForward(net, x).Should().Be(baseline, "hooks are removed when forward throws");
    }

    [Fact]
    public void Repeated_captures_leave_no_live_tensors()
    {
        using var net = new GapLinearNet();
        var model = ExplainableModule.Create(net, ["features"], "fc");
        using var x = Input();
        using (SaliencyEngine.Capture(model, x))
        {
        }

        var before = TensorAssert.LiveTensors();
        for (var i = 0; i < 20; i++)
        {
            using var capture = SaliencyEngine.Capture(model, x);
            using var g = SaliencyEngine.InputGradients(model, x, mode: GradientMode.Guided);
        }

        TensorAssert.LiveTensors().Should().Be(before);
    }

    [Fact]
    public void Guided_gradient_matches_the_hand_computation_and_plain_mode_matches_autograd()
    {
        using var net = new TwoLayerReluNet();
        var model = ExplainableModule.Create(net, ["fc1"]);
        using var x = tensor(new float[] { 0.5f, -1f, 2f, 0.25f, -0.3f, 0.8f, -1.5f, 1f }).reshape(2, 1, 2, 2);
        long[] targets = [0, 1];

        using var guided = SaliencyEngine.InputGradients(model, x, targets, GradientMode.Guided);
        using var plain = SaliencyEngine.InputGradients(model, x, targets, GradientMode.Plain);

        // By hand: z = W1·x + b1; g = W2[c]; through ReLU: guided (z>0)(g>0)g, plain (z>0)g; then W1ᵀ.
        using var flat = x.reshape(2, 4);
        using var z = flat.matmul(net.Fc1.weight!.t()) + net.Fc1.bias!;
        using var g = net.Fc2.weight!.index_select(0, tensor(targets));
        using var open = z.gt(0).to(ScalarType.Float32);
        using var expectedGuided = (open * g.clamp_min(0)).matmul(net.Fc1.weight!).reshape(2, 1, 2, 2);
        using var expectedPlain = (open * g).matmul(net.Fc1.weight!).reshape(2, 1, 2, 2);
        TensorAssert.Close(guided, expectedGuided, 1e-6);
        TensorAssert.Close(plain, expectedPlain, 1e-6);
        using var differs = (expectedGuided - expectedPlain).abs().max();
        differs.item<float>().Should().BeGreaterThan(0.1f, "the example must tell guided from plain");
    }

    [Fact]
    public void Gating_a_block_that_ends_in_a_functional_relu_equals_guiding_a_relu_module()
    {
        using var withModules = new TinyResNet(functionalRelu: false);
        using var withFunctional = new TinyResNet(functionalRelu: true);
        // Same weights, whatever other tests did to the global generator meanwhile.
        withFunctional.load_state_dict(withModules.state_dict());
        manual_seed(3);
        using var x = randn(2, 3, 6, 6);

        using var reference = SaliencyEngine.InputGradients(ExplainableModule.Create(withModules, ["blocks"]), x, [1, 3], GradientMode.Guided);
        var adapted = ExplainableModule.Create(withFunctional, ["blocks"], functionalReluOutputs: ["blocks.0", "blocks.1"]);
        using var gated = SaliencyEngine.InputGradients(adapted, x, [1, 3], GradientMode.Guided);
        var unaware = ExplainableModule.Create(withFunctional, ["blocks"], functionalReluOutputs: []);
        using var partial = SaliencyEngine.InputGradients(unaware, x, [1, 3], GradientMode.Guided);

        TensorAssert.Close(gated, reference, 1e-6);
        using var gap = (partial - reference).abs().max();
        gap.item<float>().Should().BeGreaterThan(1e-4f, "without gating the functional ReLUs stay unguided");
    }

    [Fact]
    public void Guided_gradients_survive_an_in_place_operation_on_a_relu_output()
    {
        using var outOfPlace = new ScaledReluNet(inPlace: false);
        using var inPlace = new ScaledReluNet(inPlace: true);
        inPlace.load_state_dict(outOfPlace.state_dict());
        manual_seed(8);
        using var x = randn(2, 3, 5, 5);

        using var expected = SaliencyEngine.InputGradients(ExplainableModule.Create(outOfPlace, ["conv"]), x, [0, 2], GradientMode.Guided);
        var live = TensorAssert.LiveTensors();
        using var actual = SaliencyEngine.InputGradients(ExplainableModule.Create(inPlace, ["conv"]), x, [0, 2], GradientMode.Guided);

        TensorAssert.LiveTensors().Should().Be(live + 1, "the failed first attempt leaves nothing behind; only the result lives");
        TensorAssert.Close(actual, expected, 1e-6);
        using var magnitude = expected.abs().max();
        magnitude.item<float>().Should().BeGreaterThan(0);
    }

    private static long TensorsCreatedByForward(nn.Module<Tensor, Tensor> net, Tensor x)
    {
        var stats = DisposeScopeManager.Statistics;
        var before = stats.CreatedInScopeCount;
        using (NewDisposeScope())
        using (no_grad())
        {
            net.call(x);
        }

        return stats.CreatedInScopeCount - before;
    }
}
