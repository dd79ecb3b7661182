using static TorchSharp.torch;

namespace Saliency.Tests;

public sealed class ReferenceModelTests
{
    [Fact]
    public void Gapnet_loads_its_weights_and_reproduces_the_reference_logits()
    {
        using var reference = ReferenceCase.Load("gapnet");
        using var model = GapNet.Load(reference.ModelPath);
        using var logits = Logits(model, reference.Input);
        reference.AssertClose("logits", logits);
    }

    [Fact]
    public void Vggmini_loads_its_weights_and_reproduces_the_reference_logits()
    {
        using var reference = ReferenceCase.Load("vggmini");
        using var model = VggMini.Load(reference.ModelPath);
        using var logits = Logits(model, reference.Input);
        reference.AssertClose("logits", logits);
    }

    [Fact]
    public void Gapnet_cam_identity_holds_through_the_engine()
    {
        // For a GAP→Linear head, ∂y_c/∂A = w_c/(h·w), so Σ_k (h·w·g_k)·A_k = CAM and mean(CAM) + b_c = y_c.
        using var reference = ReferenceCase.Load("gapnet");
        using var model = GapNet.Load(reference.ModelPath);
        var targets = reference.Targets(@explicit: false);

        using var capture = SaliencyEngine.Capture(model, reference.Input, GapNet.Layers.Features, targets);

        using var scope = NewDisposeScope();
        var area = capture.Activations.shape[2] * capture.Activations.shape[3];
        var cam = (capture.Gradients! * area * capture.Activations).sum(1);
        reference.AssertClose("cam.raw", cam);
        var logits = cam.mean([1, 2]) + model.Fc.bias!.index_select(0, tensor(targets));
        TensorAssert.Close(logits, capture.Logits.gather(1, tensor(targets).unsqueeze(1)).squeeze(1), 1e-6);
    }

    private static Tensor Logits(nn.Module<Tensor, Tensor> model, Tensor input)
    {
        using var _ = no_grad();
        return model.call(input);
    }
}
