using static TorchSharp.torch;
using static TorchSharp.torch.autograd;

namespace Saliency;

/// <summary>
/// Decides, per backward pass, how gradients cross the ReLU gates of one forward pass. One forward can then
/// serve both a plain backward (Grad-CAM) and a guided one (Guided Backprop).
/// </summary>
internal sealed class ReluGateState
{
    public GradientMode Mode { get; set; } = GradientMode.Plain;
}

/// <summary>
/// An autograd function placed on the output <c>y</c> of every ReLU (module, or block ending in a functional ReLU):
/// forward <c>max(y, 0)</c>, which leaves a ReLU output unchanged; backward <c>g·(y &gt; 0)</c> in plain mode (exactly
/// ReLU's own gradient) or <c>(g &gt; 0)·g·(y &gt; 0)</c> in guided mode. Since <c>y &gt; 0 ⇔ x &gt; 0</c> for <c>y = ReLU(x)</c>,
/// the ReLU's own backward that follows changes nothing, and the composition is Guided Backprop's rule.
/// </summary>
internal sealed class ReluGate : SingleTensorFunction<ReluGate>
{
    private const string StateKey = "state";

    public override string Name => "SaliencyReluGate";

    public static Tensor Apply(Tensor output, ReluGateState state) => apply(output, state);

    public override Tensor forward(AutogradContext ctx, params object[] vars)
    {
        var y = ((Tensor)vars[0]).clamp_min(0);
        ctx.save_for_backward([y]);
        ctx.save_data(StateKey, vars[1]);
        return y;
    }

    public override List<Tensor> backward(AutogradContext ctx, Tensor grad_output)
    {
        var state = (ReluGateState)ctx.get_data(StateKey);
        using var y = ctx.get_saved_variables()[0];
        using var open = y.gt(0);
        var result = state.Mode == GradientMode.Guided ? grad_output.clamp_min(0).mul_(open) : grad_output.mul(open);
        return [result, null!];
    }
}
