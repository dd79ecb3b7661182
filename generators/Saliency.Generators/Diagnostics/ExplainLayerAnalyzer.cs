using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using Saliency.Generators.Analysis;

namespace Saliency.Generators.Diagnostics;

/// <summary>
/// Reports the SAL diagnostics: invalid <c>[ExplainLayer]</c>/<c>[ClassifierHead]</c> models (which
/// <see cref="ExplainLayerGenerator"/> skips), functional ReLUs in a model's <c>forward</c>, and explainable
/// layers invoked with <c>forward</c> instead of <c>call</c>. Kept apart from the generator so that the
/// generator's pipeline caches source only.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class ExplainLayerAnalyzer : DiagnosticAnalyzer
{
    /// <inheritdoc/>
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => DiagnosticDescriptors.All;

    /// <inheritdoc/>
    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(static start =>
        {
            if (KnownSymbols.Create(start.Compilation) is not { } known)
            {
                return;
            }

            start.RegisterSymbolAction(context => AnalyzeType(context, known), SymbolKind.NamedType);
            start.RegisterOperationAction(context => AnalyzeInvocation(context, known), OperationKind.Invocation);
        });
    }

    private static void AnalyzeType(SymbolAnalysisContext context, KnownSymbols known)
    {
        var inspection = ModelInspector.Inspect((INamedTypeSymbol)context.Symbol, known, context.Compilation, context.CancellationToken);
        foreach (var diagnostic in inspection.Diagnostics)
        {
            context.ReportDiagnostic(diagnostic);
        }
    }

    private static void AnalyzeInvocation(OperationAnalysisContext context, KnownSymbols known)
    {
        var invocation = (IInvocationOperation)context.Operation;
        var method = invocation.TargetMethod;
        if (method.Name == "forward" && LayerMember(invocation.Instance, known) is { } layer)
        {
            var location = invocation.Syntax switch
            {
                InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax access } => access.Name.GetLocation(),
                InvocationExpressionSyntax { Expression: MemberBindingExpressionSyntax binding } => binding.Name.GetLocation(),
                _ => invocation.Syntax.GetLocation(),
            };
            context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.LayerInvokedWithForward, location, layer.Name));
            return;
        }

        if (FunctionalRelu.Describe(method, known) is { } call
            && ContainingMember(context.ContainingSymbol) is IMethodSymbol { Name: "forward", ContainingType: { } model }
            && ModelInspector.FirstLayerMember(model, known) is not null)
        {
            context.ReportDiagnostic(Diagnostic.Create(
                DiagnosticDescriptors.FunctionalRelu, invocation.Syntax.GetLocation(), model.Name, call));
        }
    }

    // this.features.forward(x), features.forward(x), model.features!.forward(x), features?.forward(x),
    // ((Module<Tensor, Tensor>)features).forward(x)
    private static ISymbol? LayerMember(IOperation? receiver, KnownSymbols known)
    {
        if (receiver is IConditionalAccessInstanceOperation)
        {
            var access = receiver.Parent;
            while (access is not null and not IConditionalAccessOperation)
            {
                access = access.Parent;
            }

            receiver = (access as IConditionalAccessOperation)?.Operation;
        }

        while (receiver is IConversionOperation conversion)
        {
            receiver = conversion.Operand;
        }

        ISymbol? member = receiver switch
        {
            IFieldReferenceOperation field => field.Field,
            IPropertyReferenceOperation property => property.Property,
            _ => null,
        };
        foreach (var attribute in member?.OriginalDefinition.GetAttributes() ?? [])
        {
            if (SymbolEqualityComparer.Default.Equals(attribute.AttributeClass, known.ExplainLayerAttribute))
            {
                return member;
            }
        }

        return null;
    }

    // A call inside a lambda or local function of forward still runs as part of forward.
    private static ISymbol ContainingMember(ISymbol symbol)
    {
        while (symbol is IMethodSymbol { MethodKind: MethodKind.AnonymousFunction or MethodKind.LocalFunction, ContainingSymbol: { } outer })
        {
            symbol = outer;
        }

        return symbol;
    }
}
