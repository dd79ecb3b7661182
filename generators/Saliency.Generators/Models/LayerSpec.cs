namespace Saliency.Generators.Models;

/// <summary>One <c>[ExplainLayer]</c> member of a model.</summary>
/// <param name="Name">The layer name users select it by.</param>
/// <param name="Member">The member's name, escaped for use as an identifier (e.g. <c>@class</c>).</param>
/// <param name="ModuleType">The member's type, fully qualified with <c>global::</c> and without nullable annotation.</param>
/// <param name="IsDefault">Whether this is the default layer.</param>
/// <param name="TokenLayout">The declared token grid of a transformer layer, or <see langword="null"/> for a layer of maps.</param>
internal readonly record struct LayerSpec(string Name, string Member, string ModuleType, bool IsDefault, TokenLayoutSpec? TokenLayout = null);

/// <summary>A layer's token grid, as <c>TokenGridHeight</c>, <c>TokenGridWidth</c> and <c>PrefixTokens</c> declare it.</summary>
/// <param name="Height">Patch rows.</param>
/// <param name="Width">Patch columns.</param>
/// <param name="PrefixTokens">Tokens before the patch tokens.</param>
internal readonly record struct TokenLayoutSpec(int Height, int Width, int PrefixTokens);
