using System.Reflection;
using Saliency.Imaging;
using TorchSharp;

namespace Saliency.Models;

/// <summary>The models the <c>saliency</c> command knows by name.</summary>
public static class BuiltInModels
{
    /// <summary>The demo's weights, embedded in this assembly.</summary>
    public const string FashionGapWeightsResource = "Saliency.Models.Weights.fashion-gap.safetensors";

    /// <summary>Fashion-MNIST's ten classes, in label order.</summary>
    public static IReadOnlyList<string> FashionMnistLabels { get; } =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    /// <summary>
    /// <c>fashion-gap</c>: <see cref="FashionGapNet"/> trained on 96×96 grayscale canvases holding two Fashion-MNIST items;
    /// pixel values in <c>[0,1]</c> are normalised with the canvases' mean 0.05 and standard deviation 0.18.
    /// </summary>
    public static ModelDefinition FashionGap { get; } = new(
        "fashion-gap",
        "CAM network (convolutions → global average pooling → Linear) for 96×96 grayscale canvases of Fashion-MNIST items; weights bundled.",
        new InputSpec(1, 96, 96, [0.05f], [0.18f]),
        new ClassLabels(FashionMnistLabels),
        () => new FashionGapNet(),
        () => OpenResource(FashionGapWeightsResource));

    /// <summary>
    /// <c>resnet18</c>: TorchVision's ResNet-18 for 224×224 RGB inputs with ImageNet normalisation, explained at
    /// <c>layer4</c> (default) or <c>layer3</c>, CAM through its <c>fc</c> head. No weights are bundled: pass a PyTorch
    /// <c>state_dict</c> saved as safetensors (the key names are PyTorch's).
    /// </summary>
    public static ModelDefinition ResNet18 { get; } = new(
        "resnet18",
        "TorchVision's ResNet-18 (224×224 RGB, ImageNet normalisation), layers layer4 and layer3, head fc; bring its weights with --weights.",
        InputSpec.ImageNet,
        ClassLabels.None,
        () => ExplainableModule.Create(torchvision.models.resnet18(), ["layer4", "layer3"], "fc"),
        null);

    /// <summary>Every built-in model.</summary>
    public static IReadOnlyList<ModelDefinition> All { get; } = [FashionGap, ResNet18];

    /// <summary>Finds a built-in model by name (case-insensitive).</summary>
    /// <param name="name">The name.</param>
    /// <returns>The definition, or <see langword="null"/>.</returns>
    public static ModelDefinition? Find(string name) =>
        All.FirstOrDefault(m => string.Equals(m.Name, name, StringComparison.OrdinalIgnoreCase));

    private static Stream OpenResource(string name) =>
        Assembly.GetExecutingAssembly().GetManifestResourceStream(name)
        ?? throw new InvalidOperationException($"Resource {name} is missing from {Assembly.GetExecutingAssembly().GetName().Name}: rebuild the project (the trained weights are committed under src/Saliency.Models/Weights).");
}
