using TorchSharp;
using static TorchSharp.torch;

namespace Saliency.Methods;

/// <summary>
/// Score-CAM (Wang et al., CVPR Workshops 2020), pytorch-grad-cam's rule: each channel of the layer, upsampled to the
/// input (bilinear, corners aligned) and min-max scaled, masks the input; the target's score of each masked input,
/// softmaxed over channels, weights the channels. No gradients: <c>K</c> extra forwards per item, batched under
/// <c>no_grad</c> (<c>batch-size</c> masked inputs per pass).
/// </summary>
/// <remarks><c>Raw = ReLU(Σ_k softmax_k(s)·A_k)</c> with <c>s_k = y_c(x ⊙ m_k)</c>; the map follows pytorch-grad-cam's rule.</remarks>
public sealed class ScoreCam : ISaliencyMethod
{
    // Static Scalars: TorchSharp does not keep an implicitly converted Scalar alive while native code reads it.
    private static readonly Scalar s_epsilon = 1e-8.ToScalar();
    private static readonly Scalar s_zero = 0.ToScalar();
    private static readonly Scalar s_one = 1.ToScalar();

    /// <inheritdoc />
    public MethodDescriptor Descriptor { get; } = new(
        "score-cam",
        "Score-CAM",
        "Score-CAM (Wang et al. 2020): channels weighted by the softmax of the scores of the input masked by each channel; no gradients, K forwards.",
        MethodRequirements.LayerActivations)
    {
        Options = [new MethodOption("batch-size", "Masked inputs per forward pass (when not given: 16 on the CPU, 128 on CUDA).", "16")],
    };

    /// <inheritdoc />
    public SaliencyResult Explain(IExplanationContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        using var scope = NewDisposeScope();
        var batchSize = context.GetOption("batch-size", context.Device.type == TorchSharp.DeviceType.CUDA ? 128 : 16);
        var activations = context.Activations;
        var batch = activations.shape[0];
        var scores = new List<Tensor>();
        for (long item = 0; item < batch; item++)
        {
            scores.Add(ScoreItem(context, activations.narrow(0, item, 1), item, batchSize));
        }

        var weights = stack(scores, 0).softmax(1);
        var raw = SaliencyMaps.WeightedSum(weights, activations).relu();
        return context.Result(raw, SaliencyMaps.ScaleCam(raw, context.InputHeight, context.InputWidth));
    }

    /// <summary>
    /// The scores <c>[K]</c> of one item's masked inputs. A channel that is zero everywhere (common after a ReLU) has
    /// the mask 0 (its upsampled values are exactly 0, so <c>(0 − 0)/(0 + ε)</c> is), and its masked input is the zero
    /// image: all such channels share one forward of that image instead of one each. Same numbers, fewer forwards.
    /// </summary>
    private static Tensor ScoreItem(IExplanationContext context, Tensor activation, long item, int batchSize)
    {
        using var scope = NewDisposeScope();
        var channels = activation.shape[1];
        var flat = activation[0].flatten(1);
        var dead = flat.amax([1]).eq(s_zero).logical_and(flat.amin([1]).eq(s_zero));
        var live = dead.logical_not().nonzero().flatten();
        var liveCount = live.shape[0];
        var rows = new List<Tensor>();
        if (liveCount > 0)
        {
            var upsampled = nn.functional.interpolate(activation.index_select(1, live), [context.InputHeight, context.InputWidth], mode: InterpolationMode.Bilinear, align_corners: true)[0];
            var values = upsampled.flatten(1);
            var low = values.amin([1], keepdim: true).unsqueeze(-1);
            var high = values.amax([1], keepdim: true).unsqueeze(-1);
            var masks = (upsampled - low) / (high - low).add_(s_epsilon, s_one);
            rows.Add(context.Input.narrow(0, item, 1) * masks.unsqueeze(1));
        }

        if (liveCount < channels)
        {
            rows.Add(zeros_like(context.Input.narrow(0, item, 1)));
        }

        var masked = rows.Count == 1 ? rows[0] : cat(rows, 0);
        var scored = context.ScoreInputs(masked, full(masked.shape[0], item, dtype: ScalarType.Int64, device: context.Device), batchSize);
        if (liveCount == channels)
        {
            return scored.MoveToOuterDisposeScope();
        }

        var all = scored[-1].expand(channels).clone();
        if (liveCount > 0)
        {
            all.index_copy_(0, live, scored.narrow(0, 0, liveCount));
        }

        return all.MoveToOuterDisposeScope();
    }
}
