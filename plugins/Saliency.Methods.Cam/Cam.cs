using static TorchSharp.torch;

namespace Saliency.Methods;

/// <summary>
/// Class Activation Mapping (Zhou et al., CVPR 2016): <c>M_c(i,j) = Σ_k w_k^c·f_k(i,j)</c> with the rows of the
/// classifier head that follows global average pooling. One forward pass, no backward — CAM's advantage.
/// </summary>
/// <remarks>
/// <c>Raw</c> is the map at layer resolution without ReLU and without the bias, so that
/// <c>mean_ij Raw + b_c = y_c</c>. <c>Map</c> is <c>(Raw − min)/(max − min)</c> per image, upsampled bilinearly to the
/// input and not renormalised (the reference convention, so its peak is usually a little below 1).
/// </remarks>
public sealed class Cam : ISaliencyMethod
{
    /// <inheritdoc />
    public MethodDescriptor Descriptor { get; } = new(
        "cam",
        "CAM",
        "Class Activation Mapping (Zhou et al. 2016): the classifier head's weights applied to the layer's channels; forward pass only.",
        MethodRequirements.ClassifierHead);

    /// <inheritdoc />
    public SaliencyResult Explain(IExplanationContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        using var scope = NewDisposeScope();
        var head = context.ClassifierHead;
        var activations = context.Activations;
        CheckHead(context, head, activations);

        var weights = head.weight!.detach().index_select(0, context.Targets);
        var raw = SaliencyMaps.WeightedSum(weights, activations);
        var map = SaliencyMaps.Upsample(SaliencyMaps.MinMaxNormalize(raw), context.InputHeight, context.InputWidth);
        return context.Result(raw, map);
    }

    /// <summary>CAM is exact only for a Linear fed by global average pooling of the layer: check shapes, then the logits.</summary>
    private static void CheckHead(IExplanationContext context, TorchSharp.Modules.Linear head, Tensor activations)
    {
        var model = context.Model.Module.GetType().Name;
        var suggestion = "CAM needs a Linear head fed by global average pooling of the explained layer; use 'grad-cam', which works on any architecture";
        if (activations.dim() != 4)
        {
            throw new SaliencyException($"Layer '{context.Layer}' of {model} outputs [{string.Join(",", activations.shape)}], not a feature map [B,K,h,w]. {suggestion}.");
        }

        var channels = activations.shape[1];
        var classes = context.Logits.shape[1];
        if (head.in_features != channels || head.out_features != classes)
        {
            throw new SaliencyException(
                $"{model}'s classifier head is Linear({head.in_features}→{head.out_features}), but layer '{context.Layer}' has {channels} channels and the model {classes} classes. {suggestion}.");
        }

        using var noGrad = no_grad();
        var pooled = nn.functional.linear(activations.mean([2, 3]), head.weight!, head.bias);
        var difference = (pooled - context.Logits).abs().max().item<float>();
        var scale = context.Logits.abs().max().item<float>();
        if (difference > (1e-4f * scale) + 1e-5f)
        {
            throw new SaliencyException(
                $"{model}'s logits are not its classifier head applied to the global average of layer '{context.Layer}' (they differ by up to {difference:G3}). {suggestion}.");
        }
    }
}
