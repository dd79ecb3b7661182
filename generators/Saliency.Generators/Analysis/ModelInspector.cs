using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Saliency.Generators.Diagnostics;

namespace Saliency.Generators.Analysis;

/// <summary>Reads the <c>[ExplainLayer]</c> and <c>[ClassifierHead]</c> members of a type and checks the SAL rules that concern its declaration.</summary>
internal static class ModelInspector
{
    /// <summary>The tool name the generated code carries in <c>[GeneratedCode]</c>.</summary>
    public const string GeneratorName = "Saliency.Generators";

    /// <summary>The attribute property that gives a token layer's patch rows.</summary>
    public const string TokenGridHeight = "TokenGridHeight";

    /// <summary>The attribute property that gives a token layer's patch columns.</summary>
    public const string TokenGridWidth = "TokenGridWidth";

    /// <summary>The attribute property that gives a token layer's tokens before the patches.</summary>
    public const string PrefixTokens = "PrefixTokens";

    /// <summary>The members the generator adds to a model; a user member with one of these names clashes (SAL013).</summary>
    public static readonly ImmutableArray<string> GeneratedMemberNames = ["Layers", "__saliencyLayers", "__saliencyUnguidableRelus"];

    /// <summary>The first <c>[ExplainLayer]</c> member of <paramref name="type"/> in declaration order, if any.</summary>
    /// <param name="type">The type.</param>
    /// <param name="known">The known types.</param>
    /// <returns>The member, or <see langword="null"/>.</returns>
    public static ISymbol? FirstLayerMember(INamedTypeSymbol type, KnownSymbols known)
    {
        foreach (var member in type.GetMembers())
        {
            if (IsCandidate(member) && FindAttribute(member, known.ExplainLayerAttribute) is not null)
            {
                return member;
            }
        }

        return null;
    }

    /// <summary>Reads and checks the annotated members of <paramref name="type"/>.</summary>
    /// <param name="type">The type that declares the members.</param>
    /// <param name="known">The known types.</param>
    /// <param name="compilation">The compilation, for conversions.</param>
    /// <param name="cancellationToken">Cancels the inspection.</param>
    /// <returns>The members and the diagnostics; empty when the type has no annotated member.</returns>
    public static ModelInspection Inspect(INamedTypeSymbol type, KnownSymbols known, Compilation compilation, CancellationToken cancellationToken)
    {
        var layers = ImmutableArray.CreateBuilder<LayerMember>();
        var heads = ImmutableArray.CreateBuilder<ISymbol>();
        var diagnostics = ImmutableArray.CreateBuilder<Diagnostic>();
        var hasCompilerErrors = false;
        var layerOwners = new Dictionary<string, ISymbol>(StringComparer.Ordinal);
        ISymbol? defaultLayer = null;

        foreach (var member in type.GetMembers())
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (!IsCandidate(member))
            {
                continue;
            }

            var layerAttribute = FindAttribute(member, known.ExplainLayerAttribute);
            var isHead = FindAttribute(member, known.ClassifierHeadAttribute) is not null;
            if (layerAttribute is null && !isHead)
            {
                continue;
            }

            var memberType = member is IFieldSymbol field ? field.Type : ((IPropertySymbol)member).Type;
            hasCompilerErrors |= memberType.TypeKind == TypeKind.Error;
            if (member.IsStatic)
            {
                diagnostics.Add(Diagnostic.Create(
                    DiagnosticDescriptors.StaticMember, member.Locations[0], member.Name, layerAttribute is null ? "ClassifierHead" : "ExplainLayer"));
            }

            if (layerAttribute is not null)
            {
                var layer = ReadLayer(member, memberType, layerAttribute);
                layers.Add(layer);
                CheckLayer(layer, known, compilation, diagnostics);
                CheckTokenGrid(layer, diagnostics, cancellationToken);
                if (string.IsNullOrWhiteSpace(layer.Name))
                {
                    diagnostics.Add(Diagnostic.Create(DiagnosticDescriptors.EmptyLayerName, member.Locations[0], member.Name));
                }
                else if (layerOwners.TryGetValue(layer.Name, out var owner))
                {
                    diagnostics.Add(Diagnostic.Create(
                        DiagnosticDescriptors.DuplicateLayerName, member.Locations[0], layer.Name, type.Name, owner.Name));
                }
                else
                {
                    layerOwners.Add(layer.Name, member);
                }

                if (layer.IsDefault)
                {
                    if (defaultLayer is null)
                    {
                        defaultLayer = member;
                    }
                    else
                    {
                        diagnostics.Add(Diagnostic.Create(
                            DiagnosticDescriptors.MultipleDefaultLayers, member.Locations[0], member.Name, defaultLayer.Name));
                    }
                }
            }

            if (isHead)
            {
                if (heads.Count > 0)
                {
                    diagnostics.Add(Diagnostic.Create(
                        DiagnosticDescriptors.MultipleClassifierHeads, member.Locations[0], member.Name, heads[0].Name));
                }

                heads.Add(member);
                if (memberType.TypeKind != TypeKind.Error && !IsReferenceConvertible(compilation, memberType, known.Linear))
                {
                    diagnostics.Add(Diagnostic.Create(
                        DiagnosticDescriptors.ClassifierHeadNotLinear, member.Locations[0], member.Name, Display(memberType)));
                }
            }
        }

        if (layers.Count == 0 && heads.Count == 0)
        {
            return new ModelInspection([], [], [], HasCompilerErrors: false);
        }

        // An unresolved base type is the compiler's to report: do not call the model "not a module" as well.
        var baseTypeUnresolved = type.BaseType is { TypeKind: TypeKind.Error };
        var firstMember = layers.Count > 0 ? layers[0].Member : heads[0];
        CheckType(type, firstMember, known, compilation, layers.Count, checkBaseType: !baseTypeUnresolved, diagnostics, cancellationToken);
        if (layers.Count > 1 && defaultLayer is null)
        {
            diagnostics.Add(Diagnostic.Create(
                DiagnosticDescriptors.NoDefaultLayer, TypeLocation(firstMember, cancellationToken), type.Name, layers.Count, layers[0].Name));
        }

        return new ModelInspection(layers.ToImmutable(), heads.ToImmutable(), diagnostics.ToImmutable(), hasCompilerErrors || baseTypeUnresolved);
    }

    private static void CheckType(
        INamedTypeSymbol type,
        ISymbol firstMember,
        KnownSymbols known,
        Compilation compilation,
        int layerCount,
        bool checkBaseType,
        ImmutableArray<Diagnostic>.Builder diagnostics,
        CancellationToken cancellationToken)
    {
        var location = TypeLocation(firstMember, cancellationToken);
        for (var current = type; current is not null; current = current.ContainingType)
        {
            if (!IsPartial(current, cancellationToken))
            {
                var at = SymbolEqualityComparer.Default.Equals(current, type) ? location : current.Locations[0];
                diagnostics.Add(Diagnostic.Create(DiagnosticDescriptors.TypeNotPartial, at, current.Name, type.Name));
            }
        }

        if (checkBaseType && !IsReferenceConvertible(compilation, type, known.TensorModule))
        {
            diagnostics.Add(Diagnostic.Create(DiagnosticDescriptors.NotATensorModule, location, type.Name));
        }

        if (layerCount == 0)
        {
            diagnostics.Add(Diagnostic.Create(DiagnosticDescriptors.ClassifierHeadWithoutLayers, location, type.Name));
            return;
        }

        foreach (var name in GeneratedMemberNames)
        {
            foreach (var clash in type.GetMembers(name))
            {
                if (!clash.IsImplicitlyDeclared && !IsOwnGeneratedMember(clash))
                {
                    diagnostics.Add(Diagnostic.Create(DiagnosticDescriptors.GeneratedMemberClash, clash.Locations[0], type.Name, name));
                }
            }
        }
    }

    private static void CheckLayer(LayerMember layer, KnownSymbols known, Compilation compilation, ImmutableArray<Diagnostic>.Builder diagnostics)
    {
        if (layer.Type.TypeKind == TypeKind.Error)
        {
            return;
        }

        if (!IsReferenceConvertible(compilation, layer.Type, known.Module))
        {
            diagnostics.Add(Diagnostic.Create(
                DiagnosticDescriptors.MemberNotAModule, layer.Member.Locations[0], layer.Member.Name, Display(layer.Type)));
        }
        else if (!IsReferenceConvertible(compilation, layer.Type, known.TensorModule))
        {
            diagnostics.Add(Diagnostic.Create(
                DiagnosticDescriptors.LayerNotHookable, layer.Member.Locations[0], layer.Member.Name, Display(layer.Type)));
        }
    }

    private static LayerMember ReadLayer(ISymbol member, ITypeSymbol memberType, AttributeData attribute)
    {
        var arguments = attribute.ConstructorArguments;
        var name = arguments.Length == 1 && arguments[0].Value is string explicitName ? explicitName : member.Name;
        var isDefault = false;
        int? height = null, width = null, prefix = null;
        foreach (var argument in attribute.NamedArguments)
        {
            switch (argument)
            {
                case { Key: "IsDefault", Value.Value: bool value }:
                    isDefault = value;
                    break;
                case { Key: TokenGridHeight, Value.Value: int value }:
                    height = value;
                    break;
                case { Key: TokenGridWidth, Value.Value: int value }:
                    width = value;
                    break;
                case { Key: PrefixTokens, Value.Value: int value }:
                    prefix = value;
                    break;
            }
        }

        return new LayerMember(member, memberType, name, isDefault, attribute, height, width, prefix);
    }

    // SAL016: the grid needs both sizes, and PrefixTokens means nothing without them; SAL017: sizes > 0, prefix ≥ 0.
    private static void CheckTokenGrid(LayerMember layer, ImmutableArray<Diagnostic>.Builder diagnostics, CancellationToken cancellationToken)
    {
        var member = layer.Member.Name;
        if (layer.TokenGridHeight is null != layer.TokenGridWidth is null)
        {
            var (given, missing) = layer.TokenGridHeight is null ? (TokenGridWidth, TokenGridHeight) : (TokenGridHeight, TokenGridWidth);
            diagnostics.Add(Diagnostic.Create(
                DiagnosticDescriptors.IncompleteTokenGrid, ArgumentLocation(layer, given, cancellationToken), member, given, missing));
        }
        else if (layer.PrefixTokens is not null && !layer.HasTokenGrid)
        {
            diagnostics.Add(Diagnostic.Create(
                DiagnosticDescriptors.IncompleteTokenGrid, ArgumentLocation(layer, PrefixTokens, cancellationToken), member, PrefixTokens, $"{TokenGridHeight} and {TokenGridWidth}"));
        }

        foreach (var (argument, value, least) in new[] { (TokenGridHeight, layer.TokenGridHeight, 1), (TokenGridWidth, layer.TokenGridWidth, 1), (PrefixTokens, layer.PrefixTokens, 0) })
        {
            if (value is { } given && given < least)
            {
                diagnostics.Add(Diagnostic.Create(
                    DiagnosticDescriptors.InvalidTokenGrid,
                    ArgumentLocation(layer, argument, cancellationToken),
                    member,
                    argument,
                    given.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    least == 1 ? "positive" : "zero or more"));
            }
        }
    }

    // The `Name = value` argument of the attribute as written, else the member.
    private static Location ArgumentLocation(LayerMember layer, string name, CancellationToken cancellationToken)
    {
        if (layer.Attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken) is AttributeSyntax { ArgumentList: { } arguments })
        {
            foreach (var argument in arguments.Arguments)
            {
                if (argument.NameEquals?.Name.Identifier.ValueText == name)
                {
                    return argument.GetLocation();
                }
            }
        }

        return layer.Member.Locations[0];
    }

    private static bool IsCandidate(ISymbol member) =>
        member is IFieldSymbol or IPropertySymbol && !member.IsImplicitlyDeclared;

    private static AttributeData? FindAttribute(ISymbol member, INamedTypeSymbol attributeType)
    {
        foreach (var attribute in member.GetAttributes())
        {
            if (SymbolEqualityComparer.Default.Equals(attribute.AttributeClass, attributeType))
            {
                return attribute;
            }
        }

        return null;
    }

    private static bool IsReferenceConvertible(Compilation compilation, ITypeSymbol from, ITypeSymbol to)
    {
        var conversion = compilation.ClassifyCommonConversion(from, to);
        return conversion.IsImplicit && (conversion.IsIdentity || conversion.IsReference);
    }

    private static bool IsPartial(INamedTypeSymbol type, CancellationToken cancellationToken)
    {
        foreach (var reference in type.DeclaringSyntaxReferences)
        {
            if (reference.GetSyntax(cancellationToken) is not TypeDeclarationSyntax declaration
                || !declaration.Modifiers.Any(SyntaxKind.PartialKeyword))
            {
                return false;
            }
        }

        return true;
    }

    // The generated part of the model carries [GeneratedCode("Saliency.Generators", ...)] on every member it adds.
    private static bool IsOwnGeneratedMember(ISymbol member)
    {
        foreach (var attribute in member.GetAttributes())
        {
            if (attribute.AttributeClass is { Name: "GeneratedCodeAttribute" }
                && attribute.ConstructorArguments.Length == 2
                && attribute.ConstructorArguments[0].Value is GeneratorName)
            {
                return true;
            }
        }

        return false;
    }

    // Types can be partial across files (and the generated file): point at the declaration the user wrote the annotations in.
    private static Location TypeLocation(ISymbol member, CancellationToken cancellationToken)
    {
        foreach (var reference in member.DeclaringSyntaxReferences)
        {
            if (reference.GetSyntax(cancellationToken).FirstAncestorOrSelf<TypeDeclarationSyntax>() is { } declaration)
            {
                return declaration.Identifier.GetLocation();
            }
        }

        return member.ContainingType.Locations[0];
    }

    private static string Display(ITypeSymbol type) => type.ToDisplayString(SymbolDisplayFormat.CSharpErrorMessageFormat);
}
