using TorchSharp;
using static TorchSharp.torch;

namespace Saliency.Methods;

/// <summary>
/// Ablation-CAM (Desai &amp; Ramaswamy, WACV 2020), pytorch-grad-cam's rule: each channel's weight is the share of the
/// target's score lost when that channel of the layer's output is ablated, <c>w_k = (y − y_k)/y</c>. No gradients:
/// <c>K</c> extra passes per item through the layers after the explained one (the layers before it run once per
/// chunk), batched under <c>no_grad</c>.
/// </summary>
/// <remarks>
/// A channel is ablated with 0 when the item's activation has 0 as its minimum (after a ReLU), else with
/// <c>min − 10⁷</c>, as pytorch-grad-cam does. <c>Raw = ReLU(Σ_k w_k A_k)</c>; the map follows pytorch-grad-cam's rule.
/// </remarks>
public sealed class AblationCam : ISaliencyMethod
{
    // A static Scalar: a converted number is a temporary Scalar the GC may finalise during the call.
    private static readonly Scalar s_ablated = 1e7.ToScalar();

    /// <inheritdoc />
    public MethodDescriptor Descriptor { get; } = new(
        "ablation-cam",
        "Ablation-CAM",
        "Ablation-CAM (Desai & Ramaswamy 2020): channels weighted by the share of the score lost when each is ablated; no gradients, K partial forwards.",
        MethodRequirements.LayerActivations)
    {
        Options = [new MethodOption("batch-size", "Ablated layer outputs per forward pass.", "32")],
    };

    /// <inheritdoc />
    public SaliencyResult Explain(IExplanationContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        using var scope = NewDisposeScope();
        var batchSize = context.GetOption("batch-size", 32);
        var activations = context.Activations;
        var (batch, channels) = (activations.shape[0], activations.shape[1]);
        var ablate = TorchSharp.torch.eye(channels, dtype: ScalarType.Bool, device: context.Device).reshape(1, channels, channels, 1, 1);
        var scores = new List<Tensor>();
        for (long item = 0; item < batch; item++)
        {
            var a = activations.narrow(0, item, 1);
            var minimum = a.min();
            var value = minimum.item<float>() == 0 ? zeros_like(minimum) : minimum.sub(s_ablated);

            // Row k: the item's layer output with channel k replaced by the ablation value.
            var ablated = where(ablate, value, a.unsqueeze(1).expand(1, channels, channels, a.shape[2], a.shape[3]))[0];
            scores.Add(context.ScoreLayerOutputs(ablated, full(channels, item, dtype: ScalarType.Int64, device: context.Device), batchSize));
        }

        var original = context.Scores.unsqueeze(1);
        var weights = (original - stack(scores, 0)) / original;
        var raw = SaliencyMaps.WeightedSum(weights, activations).relu();
        return context.Result(raw, SaliencyMaps.ScaleCam(raw, context.InputHeight, context.InputWidth));
    }
}
