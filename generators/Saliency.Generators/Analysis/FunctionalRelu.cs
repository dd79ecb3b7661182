using Microsoft.CodeAnalysis;

namespace Saliency.Generators.Analysis;

/// <summary>
/// Recognises calls to a functional ReLU (<c>functional.relu</c>, <c>torch.relu</c>, <c>Tensor.relu()</c>,
/// <c>Tensor.relu_()</c>) by the method they bind to, however the call is spelled.
/// </summary>
internal static class FunctionalRelu
{
    /// <summary>Describes <paramref name="method"/> when it is a functional ReLU, e.g. <c>functional.relu</c> or <c>Tensor.relu_()</c>.</summary>
    /// <param name="method">The method a call binds to.</param>
    /// <param name="known">The known types.</param>
    /// <returns>The description, or <see langword="null"/> when the method is not a functional ReLU.</returns>
    public static string? Describe(IMethodSymbol method, KnownSymbols known)
    {
        if (method.Name is not ("relu" or "relu_"))
        {
            return null;
        }

        var type = method.ContainingType?.OriginalDefinition;
        if (method.IsStatic)
        {
            if (SymbolEqualityComparer.Default.Equals(type, known.Functional))
            {
                return "functional." + method.Name;
            }

            if (SymbolEqualityComparer.Default.Equals(type, known.Torch))
            {
                return "torch." + method.Name;
            }
        }
        else if (SymbolEqualityComparer.Default.Equals(type, known.Tensor))
        {
            return "Tensor." + method.Name + "()";
        }

        return null;
    }

    /// <summary>The text for one unguidable ReLU, as listed in <c>IExplainable.UnguidableRelus</c>.</summary>
    /// <param name="modelName">The model's simple name.</param>
    /// <param name="call">The call's description from <see cref="Describe"/>.</param>
    /// <returns>For example <c>SmallNet.forward calls functional.relu</c>.</returns>
    public static string Unguidable(string modelName, string call) => $"{modelName}.forward calls {call}";
}
