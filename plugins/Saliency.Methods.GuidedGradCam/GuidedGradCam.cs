using static TorchSharp.torch;

namespace Saliency.Methods;

/// <summary>
/// Guided Grad-CAM (Selvaraju et al. 2017): Guided Backprop multiplied by the Grad-CAM map, which keeps the fine
/// detail of the gradient and the class-discriminative location of Grad-CAM. Composes the two methods, sharing
/// their forward pass.
/// </summary>
/// <remarks>
/// With <c>upsample=bilinear</c> (default) the product uses Grad-CAM's normalised map, as pytorch-grad-cam composes
/// it; with <c>upsample=nearest</c> it uses Grad-CAM's un-normalised raw map upsampled with legacy nearest, as Captum's
/// <c>GuidedGradCam</c> does.
/// </remarks>
public sealed class GuidedGradCam : ISaliencyMethod
{
    /// <summary>The option that picks how the Grad-CAM map is brought to input resolution.</summary>
    public const string UpsampleOption = "upsample";

    /// <inheritdoc />
    public MethodDescriptor Descriptor { get; } = new(
        "guided-grad-cam",
        "Guided Grad-CAM",
        "Guided Grad-CAM (Selvaraju et al. 2017): Guided Backprop multiplied by the Grad-CAM map; fine detail where the class is.",
        MethodRequirements.LayerGradients | MethodRequirements.GuidedRelu)
    {
        Composes = ["grad-cam", "guided-backprop"],
        Options =
        [
            new MethodOption(UpsampleOption, "bilinear: Guided Backprop × Grad-CAM's normalised map (pytorch-grad-cam); nearest: × Grad-CAM's raw map upsampled nearest (Captum).", "bilinear"),
        ],
    };

    /// <inheritdoc />
    public SaliencyResult Explain(IExplanationContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var upsample = context.GetOption(UpsampleOption, "bilinear");
        if (upsample is not ("bilinear" or "nearest"))
        {
            throw new ArgumentException($"Option {UpsampleOption}='{upsample}' is not known; use bilinear or nearest.");
        }

        using var scope = NewDisposeScope();
        using var gradCam = context.Invoke("grad-cam");
        using var guided = context.Invoke("guided-backprop");
        var weights = upsample == "nearest"
            ? SaliencyMaps.Upsample(gradCam.Raw, context.InputHeight, context.InputWidth, UpsampleMode.Nearest)
            : gradCam.Map;
        var raw = guided.Raw * weights.unsqueeze(1);
        return context.Result(raw, SaliencyMaps.ChannelMagnitude(raw));
    }
}
