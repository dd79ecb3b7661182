namespace Saliency;

/// <summary>What to explain: which method, for which classes, at which layer, with which options.</summary>
public sealed record ExplainRequest
{
    /// <summary>Creates a request for <paramref name="method"/> with default targets, layer and options.</summary>
    /// <param name="method">The method id, such as <c>grad-cam</c>.</param>
    public ExplainRequest(string method)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(method);
        Method = method;
    }

    /// <summary>The method id.</summary>
    public string Method { get; init; }

    /// <summary>One target class per batch item; <see langword="null"/> explains each item's highest-scoring class.</summary>
    public IReadOnlyList<long>? Targets { get; init; }

    /// <summary>
    /// What to explain when it is not a class of a classifier (a segmentation class over a mask, an embedding's
    /// similarity to a reference, any function of the output); overrides <see cref="Targets"/>, which must then be
    /// <see langword="null"/>. <see langword="null"/> means class targets.
    /// </summary>
    public ExplanationTarget? Target { get; init; }

    /// <summary>The layer to explain; <see langword="null"/> means the model's default layer.</summary>
    public string? Layer { get; init; }

    /// <summary>
    /// Several layers to explain and fuse (as pytorch-grad-cam does): the method runs at each layer, and the result's
    /// <see cref="SaliencyResult.Raw"/> is the mean of the per-layer maps <c>[B,H,W]</c> and its map that mean
    /// min-max scaled. Use this or <see cref="Layer"/>, not both.
    /// </summary>
    public IReadOnlyList<string>? Layers { get; init; }

    /// <summary>Method options as key/value pairs (see <see cref="MethodDescriptor.Options"/>).</summary>
    public IReadOnlyDictionary<string, string> Options { get; init; } = new Dictionary<string, string>();
}
