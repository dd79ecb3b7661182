using static TorchSharp.torch;

namespace Saliency;

/// <summary>What one forward pass is set up for: the model, the captured layer, what the backward passes need.</summary>
internal sealed record PassSpec(IExplainable Model, string? Layer, nn.Module<Tensor, Tensor>? LayerModule, MethodRequirements Needs, bool EvalMode)
{
    /// <summary>How the captured layer's tokens lie on the image (transformer layers), or <see langword="null"/>.</summary>
    public TokenLayout? Layout { get; init; }

    public bool LayerGradients => (Needs & MethodRequirements.LayerGradients) == MethodRequirements.LayerGradients;

    public bool InputGradients => (Needs & MethodRequirements.InputGradients) != 0;

    public bool Guided => (Needs & MethodRequirements.GuidedRelu) == MethodRequirements.GuidedRelu;

    public bool Deconvolution => (Needs & MethodRequirements.DeconvolutionRelu) == MethodRequirements.DeconvolutionRelu;

    /// <summary>Only layer gradients: record the graph from the layer on, not before it.</summary>
    public bool RecordFromLayer => LayerGradients && !InputGradients;

    /// <summary>What a pass must be set up for to give input gradients in <paramref name="mode"/>.</summary>
    public static MethodRequirements NeedsFor(GradientMode mode) => mode switch
    {
        GradientMode.Plain => MethodRequirements.InputGradients,
        GradientMode.Guided => MethodRequirements.GuidedRelu,
        GradientMode.Deconvolution => MethodRequirements.DeconvolutionRelu,
        _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, "Unknown gradient mode."),
    };

    /// <summary>Whether this pass can give input gradients in <paramref name="mode"/>.</summary>
    public bool Supports(GradientMode mode) => InputGradients && (Needs & NeedsFor(mode)) == NeedsFor(mode);

    /// <summary>The caveats of input gradients in <paramref name="mode"/> on this model: ReLUs the mode cannot treat exactly.</summary>
    public IReadOnlyList<string> WarningsFor(GradientMode mode) => mode switch
    {
        GradientMode.Guided => [.. Model.UnguidableRelus.Select(r => $"Guided Backprop cannot guide a functional ReLU ({r}); gradients pass through it unguided.")],
        GradientMode.Deconvolution =>
        [
            .. Model.FunctionalReluOutputs.Select(p => $"Deconvolution cannot replace the backward of the functional ReLU that ends '{p}'; gradients pass through it as max(g, 0) masked by the forward sign (Guided Backprop's rule)."),
            .. Model.UnguidableRelus.Select(r => $"Deconvolution cannot reach a functional ReLU ({r}); gradients pass through it as plain gradients."),
        ],
        _ => [],
    };

    public static PassSpec Create(IExplainable model, string? layer, MethodRequirements needs, bool evalMode)
    {
        var captureLayer = (needs & MethodRequirements.LayerActivations) != 0;
        if (captureLayer && layer is null)
        {
            throw new ArgumentNullException(nameof(layer), "A layer is needed to capture activations.");
        }

        return new PassSpec(model, layer, captureLayer ? model.GetLayer(layer!) : null, needs, evalMode)
        {
            Layout = captureLayer ? model.GetTokenLayout(layer!) : null,
        };
    }
}
