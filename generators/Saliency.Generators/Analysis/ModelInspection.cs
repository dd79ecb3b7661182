using System.Collections.Immutable;
using Microsoft.CodeAnalysis;

namespace Saliency.Generators.Analysis;

/// <summary>One <c>[ExplainLayer]</c> member as read from its symbol.</summary>
/// <param name="Member">The field or property.</param>
/// <param name="Type">The member's type.</param>
/// <param name="Name">The layer name: the attribute's name, or the member's name.</param>
/// <param name="IsDefault">Whether the attribute sets <c>IsDefault = true</c>.</param>
/// <param name="Attribute">The <c>[ExplainLayer]</c> attribute, for the locations of its arguments.</param>
/// <param name="TokenGridHeight">The <c>TokenGridHeight</c> argument, if given.</param>
/// <param name="TokenGridWidth">The <c>TokenGridWidth</c> argument, if given.</param>
/// <param name="PrefixTokens">The <c>PrefixTokens</c> argument, if given.</param>
internal readonly record struct LayerMember(
    ISymbol Member,
    ITypeSymbol Type,
    string Name,
    bool IsDefault,
    AttributeData Attribute,
    int? TokenGridHeight,
    int? TokenGridWidth,
    int? PrefixTokens)
{
    /// <summary>The prefix tokens when <c>PrefixTokens</c> is not given: one class token, as the attribute's default.</summary>
    public const int DefaultPrefixTokens = 1;

    /// <summary>Whether the attribute declares a token grid (both sizes given).</summary>
    public bool HasTokenGrid => TokenGridHeight is not null && TokenGridWidth is not null;
}

/// <summary>
/// What <see cref="ModelInspector"/> found in a type: its annotated members and the SAL diagnostics they
/// raise. Shared by the generator (which skips invalid models) and the analyzer (which reports why), so that
/// both apply the same rules. Holds symbols: never part of the generator's cached pipeline.
/// </summary>
/// <param name="Layers">The <c>[ExplainLayer]</c> members, in declaration order.</param>
/// <param name="ClassifierHeads">The <c>[ClassifierHead]</c> members, in declaration order.</param>
/// <param name="Diagnostics">The SAL diagnostics, in member order.</param>
/// <param name="HasCompilerErrors">Whether a member's type does not even bind (the compiler reports that).</param>
internal sealed record ModelInspection(
    ImmutableArray<LayerMember> Layers,
    ImmutableArray<ISymbol> ClassifierHeads,
    ImmutableArray<Diagnostic> Diagnostics,
    bool HasCompilerErrors)
{
    /// <summary>Whether the generator can implement <c>IExplainable</c> for the type.</summary>
    public bool CanGenerate =>
        !Layers.IsEmpty && !HasCompilerErrors && !Diagnostics.Any(static d => d.Severity == DiagnosticSeverity.Error);

    /// <summary>The default layer: the one marked <c>IsDefault</c>, else the first declared.</summary>
    public LayerMember DefaultLayer
    {
        get
        {
            foreach (var layer in Layers)
            {
                if (layer.IsDefault)
                {
                    return layer;
                }
            }

            return Layers[0];
        }
    }
}
