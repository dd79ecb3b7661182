using Saliency.Imaging;

namespace Saliency.Models;

/// <summary>A built-in model: its name, what it takes, its classes, how to build it and its bundled weights.</summary>
/// <param name="Name">The name users pass to <c>--model</c>.</param>
/// <param name="Description">One line for listings.</param>
/// <param name="Input">Channels, size and normalisation.</param>
/// <param name="Labels">The class names.</param>
/// <param name="Create">Builds the model with random weights, as an explainable view.</param>
/// <param name="OpenWeights">Opens the bundled weights, or <see langword="null"/> when the model has none (then <c>--weights</c> is required).</param>
public sealed record ModelDefinition(
    string Name,
    string Description,
    InputSpec Input,
    ClassLabels Labels,
    Func<IExplainable> Create,
    Func<Stream>? OpenWeights);
