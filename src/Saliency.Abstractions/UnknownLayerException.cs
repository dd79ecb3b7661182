namespace Saliency;

/// <summary>A layer name that the model does not have.</summary>
public sealed class UnknownLayerException : ArgumentException
{
    /// <summary>Creates the exception; the message lists the valid names and suggests the nearest one.</summary>
    /// <param name="layer">The name that was asked for.</param>
    /// <param name="validNames">The names that exist (explainable layers first, then module paths).</param>
    /// <param name="modelName">The model's type name, for the message.</param>
    public UnknownLayerException(string layer, IReadOnlyList<string> validNames, string modelName)
        : base(BuildMessage(layer, validNames, modelName, out var suggestion))
    {
        Layer = layer;
        ValidNames = validNames;
        Suggestion = suggestion;
    }

    /// <summary>The name that was asked for.</summary>
    public string Layer { get; }

    /// <summary>The valid layer names.</summary>
    public IReadOnlyList<string> ValidNames { get; }

    /// <summary>The valid name nearest to <see cref="Layer"/>, if one is close.</summary>
    public string? Suggestion { get; }

    private static string BuildMessage(string layer, IReadOnlyList<string> validNames, string modelName, out string? suggestion)
    {
        suggestion = NameSuggestions.Nearest(layer, validNames);
        const int Shown = 12;
        var list = string.Join(", ", validNames.Take(Shown)) + (validNames.Count > Shown ? $", … ({validNames.Count - Shown} more)" : string.Empty);
        return $"{modelName} has no layer '{layer}'.{NameSuggestions.DidYouMean(suggestion)} Valid layers: {list}.";
    }
}
