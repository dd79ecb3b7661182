using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Saliency.Generators.Analysis;
using Saliency.Generators.Helpers;
using Saliency.Generators.Models;

namespace Saliency.Generators;

public sealed partial class ExplainLayerGenerator
{
    /// <summary>Turns an annotated model type into a <see cref="ModelSpec"/> that holds only strings and flags.</summary>
    private static class Parser
    {
        private static readonly SymbolDisplayFormat DeclarationNameFormat = new(
            genericsOptions: SymbolDisplayGenericsOptions.IncludeTypeParameters | SymbolDisplayGenericsOptions.IncludeVariance,
            miscellaneousOptions: SymbolDisplayMiscellaneousOptions.EscapeKeywordIdentifiers);

        private static readonly SymbolDisplayFormat NamespaceFormat =
            SymbolDisplayFormat.FullyQualifiedFormat.WithGlobalNamespaceStyle(SymbolDisplayGlobalNamespaceStyle.Omitted);

        /// <summary>
        /// Builds the spec of the model that declares the target member, once per model: only the model's first
        /// <c>[ExplainLayer]</c> member yields it. Returns <see langword="null"/> for the other members and for
        /// models that break a SAL rule (the analyzer reports those).
        /// </summary>
        /// <param name="context">The annotated member.</param>
        /// <param name="cancellationToken">Cancels parsing.</param>
        /// <returns>The spec, or <see langword="null"/>.</returns>
        public static ModelSpec? Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
        {
            if (context.TargetSymbol is not { ContainingType: { } type } member)
            {
                return null;
            }

            var compilation = context.SemanticModel.Compilation;
            var known = KnownSymbols.Create(compilation);
            if (known is null || !SymbolEqualityComparer.Default.Equals(ModelInspector.FirstLayerMember(type, known), member))
            {
                return null;
            }

            var inspection = ModelInspector.Inspect(type, known, compilation, cancellationToken);
            if (!inspection.CanGenerate)
            {
                return null;
            }

            var containingTypes = new List<TypeDeclarationSpec>();
            for (var outer = type.ContainingType; outer is not null; outer = outer.ContainingType)
            {
                containingTypes.Insert(0, Declaration(outer));
            }

            var layers = inspection.Layers
                .Select(static layer => new LayerSpec(
                    layer.Name,
                    Identifier(layer.Member.Name),
                    layer.Type.WithNullableAnnotation(NullableAnnotation.NotAnnotated).ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat),
                    layer.IsDefault,
                    layer.HasTokenGrid
                        ? new TokenLayoutSpec(layer.TokenGridHeight!.Value, layer.TokenGridWidth!.Value, layer.PrefixTokens ?? LayerMember.DefaultPrefixTokens)
                        : null))
                .ToEquatableArray();

            var ns = type.ContainingNamespace is { IsGlobalNamespace: false } containingNamespace ? containingNamespace : null;
            return new ModelSpec(
                HintName: HintName(type, ns),
                Namespace: ns?.ToDisplayString(NamespaceFormat),
                ContainingTypes: containingTypes.ToEquatableArray(),
                Type: Declaration(type),
                ModelName: type.Name,
                Layers: layers,
                DefaultLayer: inspection.DefaultLayer.Name,
                ClassifierHead: inspection.ClassifierHeads.IsEmpty ? null : Identifier(inspection.ClassifierHeads[0].Name),
                UnguidableRelus: FindUnguidableRelus(type, known, context.SemanticModel, cancellationToken));
        }

        private static TypeDeclarationSpec Declaration(INamedTypeSymbol type)
        {
            var keyword = type switch
            {
                { IsRecord: true, TypeKind: TypeKind.Struct } => "record struct",
                { IsRecord: true } => "record",
                { TypeKind: TypeKind.Struct } => "struct",
                { TypeKind: TypeKind.Interface } => "interface",
                _ => "class",
            };
            return new TypeDeclarationSpec(keyword, type.ToDisplayString(DeclarationNameFormat));
        }

        // Namespace.Outer.Model`1.ExplainLayers.g.cs: a namespace and a type cannot share a full name, and the arity tells generic types apart.
        private static string HintName(INamedTypeSymbol type, INamespaceSymbol? ns)
        {
            var name = type.MetadataName;
            for (var outer = type.ContainingType; outer is not null; outer = outer.ContainingType)
            {
                name = outer.MetadataName + "." + name;
            }

            return (ns is null ? string.Empty : ns.ToDisplayString() + ".") + name + ".ExplainLayers.g.cs";
        }

        private static string Identifier(string name) =>
            SyntaxFacts.GetKeywordKind(name) == SyntaxKind.None ? name : "@" + name;

        // One entry per functional ReLU call in the model's own forward, in source order; no positions, so unrelated edits stay cached.
        private static EquatableArray<string> FindUnguidableRelus(
            INamedTypeSymbol type, KnownSymbols known, SemanticModel targetModel, CancellationToken cancellationToken)
        {
            var relus = new List<string>();
            foreach (var forward in type.GetMembers("forward").OfType<IMethodSymbol>())
            {
                foreach (var reference in forward.DeclaringSyntaxReferences)
                {
                    var syntax = reference.GetSyntax(cancellationToken);
                    var model = syntax.SyntaxTree == targetModel.SyntaxTree
                        ? targetModel
                        : targetModel.Compilation.GetSemanticModel(syntax.SyntaxTree);
                    foreach (var invocation in syntax.DescendantNodes().OfType<InvocationExpressionSyntax>())
                    {
                        if (model.GetSymbolInfo(invocation, cancellationToken).Symbol is IMethodSymbol target
                            && FunctionalRelu.Describe(target, known) is { } call)
                        {
                            relus.Add(FunctionalRelu.Unguidable(type.Name, call));
                        }
                    }
                }
            }

            return relus.ToEquatableArray();
        }
    }
}
