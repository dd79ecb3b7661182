using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.autograd;

namespace Saliency;

/// <summary>
/// Decides, per backward pass, how gradients cross the ReLU gates of one forward pass. One forward can then
/// serve both a plain backward (Grad-CAM) and a guided one (Guided Backprop), or a deconvolution.
/// </summary>
internal sealed class ReluGateState
{
    public GradientMode Mode { get; set; } = GradientMode.Plain;

    /// <summary>
    /// Whether gates return a copy of the ReLU output instead of the output itself (which autograd then treats as a
    /// view). Views cost nothing, but libtorch forbids modifying them in place; models that do get copies.
    /// </summary>
    public bool CopyOutputs { get; set; }
}

/// <summary>
/// An autograd function placed on the output <c>y</c> of every ReLU (module, or block ending in a functional ReLU):
/// forward returns <c>y</c> itself (autograd makes it a view: no copy), or a copy for models that modify ReLU outputs
/// in place; backward <c>g</c> in plain mode or <c>max(g, 0)</c> in guided mode. The ReLU's own backward comes next and multiplies by <c>(y &gt; 0)</c> (<c>y &gt; 0 ⇔ x &gt; 0</c> for
/// <c>y = ReLU(x)</c>), so the composition is ReLU's gradient <c>g·(x &gt; 0)</c> or Guided Backprop's rule
/// <c>(g &gt; 0)·g·(x &gt; 0)</c>. The gate does not repeat that mask: it would cost a comparison and a product per
/// ReLU on every guided backward (about 5% of a resnet18 input gradient) and change no value.
/// </summary>
internal sealed class ReluGate : SingleTensorFunction<ReluGate>
{
    private const string StateKey = "state";

    // A static Scalar: an implicitly converted 0 could be finalised while libtorch still reads it (TorchSharp passes
    // the raw handle without keeping the Scalar alive), and this runs for every ReLU of every pass.
    private static readonly Scalar s_zero = 0.0.ToScalar();

    public override string Name => "SaliencyReluGate";

    /// <summary>Part of libtorch's error when a gate's (view) output is modified in place.</summary>
    public const string ViewModifiedInPlace = "is a view and is being modified inplace";

    public static Tensor Apply(Tensor output, ReluGateState state) => apply(output, state);

    public override Tensor forward(AutogradContext ctx, params object[] vars)
    {
        var state = (ReluGateState)vars[1];
        ctx.save_data(StateKey, state);
        var y = (Tensor)vars[0];
        return state.CopyOutputs ? y.clamp_min(s_zero) : y;
    }

    public override List<Tensor> backward(AutogradContext ctx, Tensor grad_output)
    {
        // The gate follows a ReLU, whose own backward comes next and multiplies by (y > 0): masking here too would
        // only repeat it. So plain mode passes the gradient through and guided mode keeps its positive part.
        // Deconvolution passes gate functional ReLUs here too; after the ReLU's mask that is Guided Backprop's rule,
        // the nearest a gate after the ReLU can come (the pass warns about it).
        var state = (ReluGateState)ctx.get_data(StateKey);
        return [state.Mode == GradientMode.Plain ? grad_output : grad_output.clamp_min(s_zero), null!];
    }
}

/// <summary>
/// An autograd function that stands in for a ReLU module in passes set up for Deconvolution. Hooks on the module
/// (<see cref="Attach"/>) feed it the ReLU's input <c>x</c>, and its output replaces the module's. Forward:
/// <c>relu(x)</c>, a new tensor. Backward, by the pass's mode: plain <c>g·(x &gt; 0)</c>; guided
/// <c>max(g, 0)·(x &gt; 0)</c>; deconvolution <c>max(g, 0)</c>, the forward mask ignored as in Captum. A gate after the
/// ReLU (<see cref="ReluGate"/>) cannot give that last rule: the ReLU's own backward multiplies by the mask.
/// </summary>
/// <remarks>
/// The module itself runs on a detached copy of the gate's output, so its own backward is never recorded and an
/// in-place ReLU changes nothing (its input is already ≥ 0). The gate saves the mask <c>x &gt; 0</c>, not <c>x</c>:
/// an in-place ReLU or a later in-place operation cannot invalidate what the backward reads.
/// </remarks>
internal sealed class ReluInputGate : SingleTensorFunction<ReluInputGate>
{
    private const string StateKey = "state";

    private static readonly Scalar s_zero = 0.0.ToScalar();

    public override string Name => "SaliencyReluInputGate";

    /// <summary>Hooks <paramref name="relu"/> so that its output comes from this gate; dispose the handle to remove both hooks.</summary>
    public static IDisposable Attach(nn.Module<Tensor, Tensor> relu, ReluGateState state)
    {
        // A module's pre-hook and forward hook run in pairs around each call, so one slot serves a module called many times.
        Tensor? gated = null;
        var before = relu.register_forward_pre_hook((_, x) =>
        {
            gated = apply(x, state);
            return gated.detach();
        });
        var after = relu.register_forward_hook((_, _, _) =>
        {
            var output = gated!;
            gated = null;
            return output;
        });
        return new Removal(() =>
        {
            before.remove();
            after.remove();
        });
    }

    public override Tensor forward(AutogradContext ctx, params object[] vars)
    {
        var x = (Tensor)vars[0];
        ctx.save_data(StateKey, vars[1]);
        ctx.save_for_backward([x.gt(s_zero)]);
        return x.clamp_min(s_zero);
    }

    public override List<Tensor> backward(AutogradContext ctx, Tensor grad_output)
    {
        var state = (ReluGateState)ctx.get_data(StateKey);
        if (state.Mode == GradientMode.Deconvolution)
        {
            return [grad_output.clamp_min(s_zero), null!];
        }

        using var mask = ctx.get_saved_variables()[0];
        if (state.Mode == GradientMode.Guided)
        {
            using var positive = grad_output.clamp_min(s_zero);
            return [positive.mul(mask), null!];
        }

        return [grad_output.mul(mask), null!];
    }

    private sealed class Removal(Action remove) : IDisposable
    {
        public void Dispose() => remove();
    }
}
