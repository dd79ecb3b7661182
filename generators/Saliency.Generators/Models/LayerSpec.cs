namespace Saliency.Generators.Models;

/// <summary>One <c>[ExplainLayer]</c> member of a model.</summary>
/// <param name="Name">The layer name users select it by.</param>
/// <param name="Member">The member's name, escaped for use as an identifier (e.g. <c>@class</c>).</param>
/// <param name="ModuleType">The member's type, fully qualified with <c>global::</c> and without nullable annotation.</param>
/// <param name="IsDefault">Whether this is the default layer.</param>
internal readonly record struct LayerSpec(string Name, string Member, string ModuleType, bool IsDefault);
