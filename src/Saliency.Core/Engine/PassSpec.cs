using static TorchSharp.torch;

namespace Saliency;

/// <summary>What one forward pass is set up for: the model, the captured layer, what the backward passes need.</summary>
internal sealed record PassSpec(IExplainable Model, string? Layer, nn.Module<Tensor, Tensor>? LayerModule, MethodRequirements Needs, bool EvalMode, IReadOnlyList<string> Warnings)
{
    /// <summary>How the captured layer's tokens lie on the image (transformer layers), or <see langword="null"/>.</summary>
    public TokenLayout? Layout { get; init; }

    public bool LayerGradients => (Needs & MethodRequirements.LayerGradients) == MethodRequirements.LayerGradients;

    public bool InputGradients => (Needs & MethodRequirements.InputGradients) != 0;

    public bool Guided => (Needs & MethodRequirements.GuidedRelu) == MethodRequirements.GuidedRelu;

    /// <summary>Only layer gradients: record the graph from the layer on, not before it.</summary>
    public bool RecordFromLayer => LayerGradients && !InputGradients;

    public static PassSpec Create(IExplainable model, string? layer, MethodRequirements needs, bool evalMode)
    {
        var captureLayer = (needs & MethodRequirements.LayerActivations) != 0;
        if (captureLayer && layer is null)
        {
            throw new ArgumentNullException(nameof(layer), "A layer is needed to capture activations.");
        }

        var guided = (needs & MethodRequirements.GuidedRelu) == MethodRequirements.GuidedRelu;
        IReadOnlyList<string> warnings = guided
            ? [.. model.UnguidableRelus.Select(r => $"Guided Backprop cannot guide a functional ReLU ({r}); gradients pass through it unguided.")]
            : [];
        return new PassSpec(model, layer, captureLayer ? model.GetLayer(layer!) : null, needs, evalMode, warnings)
        {
            Layout = captureLayer ? model.GetTokenLayout(layer!) : null,
        };
    }
}
