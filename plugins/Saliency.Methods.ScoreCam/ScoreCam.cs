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
    /// <inheritdoc />
    public MethodDescriptor Descriptor { get; } = new(
        "score-cam",
        "Score-CAM",
        "Score-CAM (Wang et al. 2020): channels weighted by the softmax of the scores of the input masked by each channel; no gradients, K forwards.",
        MethodRequirements.LayerActivations)
    {
        Options = [new MethodOption("batch-size", "Masked inputs per forward pass.", "32")],
    };

    /// <inheritdoc />
    public SaliencyResult Explain(IExplanationContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        using var scope = NewDisposeScope();
        var batchSize = context.GetOption("batch-size", 32);
        var activations = context.Activations;
        var (batch, channels) = (activations.shape[0], activations.shape[1]);
        var input = context.Input;
        var scores = new List<Tensor>();
        for (long item = 0; item < batch; item++)
        {
            // One item at a time: the masked inputs of a whole batch would need B·K·C·H·W floats at once.
            var upsampled = nn.functional.interpolate(activations.narrow(0, item, 1), [context.InputHeight, context.InputWidth], mode: InterpolationMode.Bilinear, align_corners: true)[0];
            var flat = upsampled.flatten(1);
            var low = flat.amin([1], keepdim: true).unsqueeze(-1);
            var high = flat.amax([1], keepdim: true).unsqueeze(-1);
            var masks = (upsampled - low) / (high - low + 1e-8);
            var masked = input.narrow(0, item, 1) * masks.unsqueeze(1);
            scores.Add(context.ScoreInputs(masked, full(channels, item, dtype: ScalarType.Int64, device: context.Device), batchSize));
        }

        var weights = stack(scores, 0).softmax(1);
        var raw = SaliencyMaps.WeightedSum(weights, activations).relu();
        return context.Result(raw, SaliencyMaps.ScaleCam(raw, context.InputHeight, context.InputWidth));
    }
}
