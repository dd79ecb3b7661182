namespace Saliency;

/// <summary>One layer of a model that can be explained.</summary>
/// <param name="Name">The name users select it by; for annotated members, the member name unless the attribute sets one.</param>
/// <param name="ModuleType">The CLR type of the module.</param>
/// <param name="IsDefault">Whether this is the layer explained when a request names none.</param>
public sealed record ExplainableLayer(string Name, Type ModuleType, bool IsDefault);
