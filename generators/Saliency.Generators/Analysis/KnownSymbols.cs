using Microsoft.CodeAnalysis;

namespace Saliency.Generators.Analysis;

/// <summary>The Saliency and TorchSharp types the generator and the analyzer look for, resolved once per compilation.</summary>
internal sealed class KnownSymbols
{
    /// <summary>The metadata name of <c>[ExplainLayer]</c>.</summary>
    public const string ExplainLayerAttributeName = "Saliency.ExplainLayerAttribute";

    /// <summary>The metadata name of <c>[ClassifierHead]</c>.</summary>
    public const string ClassifierHeadAttributeName = "Saliency.ClassifierHeadAttribute";

    private KnownSymbols(
        INamedTypeSymbol explainLayerAttribute,
        INamedTypeSymbol classifierHeadAttribute,
        INamedTypeSymbol module,
        INamedTypeSymbol tensorModule,
        INamedTypeSymbol tensor,
        INamedTypeSymbol linear,
        INamedTypeSymbol torch,
        INamedTypeSymbol? functional)
    {
        ExplainLayerAttribute = explainLayerAttribute;
        ClassifierHeadAttribute = classifierHeadAttribute;
        Module = module;
        TensorModule = tensorModule;
        Tensor = tensor;
        Linear = linear;
        Torch = torch;
        Functional = functional;
    }

    /// <summary><c>Saliency.ExplainLayerAttribute</c>.</summary>
    public INamedTypeSymbol ExplainLayerAttribute { get; }

    /// <summary><c>Saliency.ClassifierHeadAttribute</c>.</summary>
    public INamedTypeSymbol ClassifierHeadAttribute { get; }

    /// <summary><c>TorchSharp.torch.nn.Module</c>, the base of every module.</summary>
    public INamedTypeSymbol Module { get; }

    /// <summary><c>TorchSharp.torch.nn.Module&lt;Tensor, Tensor&gt;</c>, the only hookable kind of module.</summary>
    public INamedTypeSymbol TensorModule { get; }

    /// <summary><c>TorchSharp.torch.Tensor</c>.</summary>
    public INamedTypeSymbol Tensor { get; }

    /// <summary><c>TorchSharp.Modules.Linear</c>.</summary>
    public INamedTypeSymbol Linear { get; }

    /// <summary><c>TorchSharp.torch</c>.</summary>
    public INamedTypeSymbol Torch { get; }

    /// <summary><c>TorchSharp.torch.nn.functional</c>, if this TorchSharp has it.</summary>
    public INamedTypeSymbol? Functional { get; }

    /// <summary>Resolves the types, or returns <see langword="null"/> when Saliency or TorchSharp is not referenced.</summary>
    /// <param name="compilation">The compilation.</param>
    /// <returns>The resolved types, or <see langword="null"/>.</returns>
    public static KnownSymbols? Create(Compilation compilation)
    {
        var explainLayer = compilation.GetTypeByMetadataName(ExplainLayerAttributeName);
        var classifierHead = compilation.GetTypeByMetadataName(ClassifierHeadAttributeName);
        var module = compilation.GetTypeByMetadataName("TorchSharp.torch+nn+Module");
        var genericModule = compilation.GetTypeByMetadataName("TorchSharp.torch+nn+Module`2");
        var tensor = compilation.GetTypeByMetadataName("TorchSharp.torch+Tensor");
        var linear = compilation.GetTypeByMetadataName("TorchSharp.Modules.Linear");
        var torch = compilation.GetTypeByMetadataName("TorchSharp.torch");
        if (explainLayer is null || classifierHead is null || module is null || genericModule is null
            || tensor is null || linear is null || torch is null)
        {
            return null;
        }

        return new KnownSymbols(
            explainLayer,
            classifierHead,
            module,
            genericModule.Construct(tensor, tensor),
            tensor,
            linear,
            torch,
            compilation.GetTypeByMetadataName("TorchSharp.torch+nn+functional"));
    }
}
