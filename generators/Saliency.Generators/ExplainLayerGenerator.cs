using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Text;
using Saliency.Generators.Analysis;

namespace Saliency.Generators;

/// <summary>
/// Implements <c>Saliency.IExplainable</c> for every <c>partial</c> TorchSharp model whose members carry
/// <c>[ExplainLayer]</c>: layer-name constants, the layer table, a <c>GetLayer</c>/<c>RegisterForwardHook</c>
/// switch over the annotated members, the <c>[ClassifierHead]</c> and the functional ReLUs of <c>forward</c>.
/// Invalid models produce no code; <see cref="Diagnostics.ExplainLayerAnalyzer"/> reports why.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed partial class ExplainLayerGenerator : IIncrementalGenerator
{
    /// <inheritdoc/>
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var models = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                KnownSymbols.ExplainLayerAttributeName,
                predicate: static (node, _) => node is VariableDeclaratorSyntax or PropertyDeclarationSyntax,
                transform: static (context, cancellationToken) => Parser.Parse(context, cancellationToken))
            .WithTrackingName(TrackingNames.InitialExtraction)
            .Where(static model => model is not null)
            .WithTrackingName(TrackingNames.RemovingNulls)
            .Select(static (model, _) => model!.Value)
            .WithTrackingName(TrackingNames.Models);

        context.RegisterSourceOutput(models, static (context, model) =>
            context.AddSource(model.HintName, SourceText.From(Emitter.Emit(model), System.Text.Encoding.UTF8)));
    }
}
