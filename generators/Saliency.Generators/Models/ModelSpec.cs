using Saliency.Generators.Helpers;

namespace Saliency.Generators.Models;

/// <summary>Everything the emitter needs to implement <c>IExplainable</c> for one model type.</summary>
/// <param name="HintName">The generated file's unique, deterministic hint name.</param>
/// <param name="Namespace">The model's namespace, or <see langword="null"/> for the global namespace.</param>
/// <param name="ContainingTypes">The types that contain the model, outermost first.</param>
/// <param name="Type">The model type's own declaration.</param>
/// <param name="ModelName">The model's simple name, used in messages.</param>
/// <param name="Layers">The <c>[ExplainLayer]</c> members, in declaration order.</param>
/// <param name="DefaultLayer">The name of the default layer.</param>
/// <param name="ClassifierHead">The escaped name of the <c>[ClassifierHead]</c> member, or <see langword="null"/>.</param>
/// <param name="UnguidableRelus">One description per functional ReLU call in the model's <c>forward</c>, in source order.</param>
internal readonly record struct ModelSpec(
    string HintName,
    string? Namespace,
    EquatableArray<TypeDeclarationSpec> ContainingTypes,
    TypeDeclarationSpec Type,
    string ModelName,
    EquatableArray<LayerSpec> Layers,
    string DefaultLayer,
    string? ClassifierHead,
    EquatableArray<string> UnguidableRelus);
