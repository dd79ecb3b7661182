namespace Saliency;

/// <summary>What a saliency method needs from the forward and backward passes. The host runs one forward that serves them all.</summary>
[Flags]
public enum MethodRequirements
{
    /// <summary>Only the logits.</summary>
    None = 0,

    /// <summary>The activation of the explained layer (forward only).</summary>
    LayerActivations = 1,

    /// <summary>The gradient of the target scores with respect to the explained layer's output (backward to the layer).</summary>
    LayerGradients = 2 | LayerActivations,

    /// <summary>The gradient of the target scores with respect to the input (backward to the input).</summary>
    InputGradients = 4,

    /// <summary>Input gradients with every ReLU guided (Guided Backprop); implies <see cref="InputGradients"/>.</summary>
    GuidedRelu = 8 | InputGradients,

    /// <summary>A <c>Linear</c> classifier head fed by global average pooling of the layer (CAM).</summary>
    ClassifierHead = 16 | LayerActivations,

    /// <summary>
    /// Input gradients with every ReLU module deconvolved (<see cref="GradientMode.Deconvolution"/>); implies
    /// <see cref="InputGradients"/>. A pass set up for it gates each ReLU module's input, not its output (a little more
    /// work per ReLU), so Guided Backprop alone does not ask for it.
    /// </summary>
    DeconvolutionRelu = 32 | InputGradients,
}
