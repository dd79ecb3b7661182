namespace Saliency.Generators;

/// <summary>The names of the generator's incremental steps, for tests that check what is cached.</summary>
internal static class TrackingNames
{
    /// <summary>A model spec (or <see langword="null"/>) per <c>[ExplainLayer]</c> member.</summary>
    public const string InitialExtraction = nameof(InitialExtraction);

    /// <summary>Only the members that produced a spec (the first annotated member of each valid model).</summary>
    public const string RemovingNulls = nameof(RemovingNulls);

    /// <summary>The model specs the emitter writes, one per model type.</summary>
    public const string Models = nameof(Models);
}
