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

    /// <summary>The layer to explain; <see langword="null"/> means the model's default layer.</summary>
    public string? Layer { get; init; }

    /// <summary>Method options as key/value pairs (see <see cref="MethodDescriptor.Options"/>).</summary>
    public IReadOnlyDictionary<string, string> Options { get; init; } = new Dictionary<string, string>();
}
