using Saliency.Imaging;

namespace Saliency.Cli.Explaining;

/// <summary>What <see cref="BatchExplainer"/> computes and writes.</summary>
/// <param name="Methods">The method ids.</param>
/// <param name="Layer">The explained layer.</param>
/// <param name="Targets">What is explained (class logits or probabilities, classes over a mask, similarity to a reference) and for which classes.</param>
/// <param name="OutputDirectory">Where files go.</param>
/// <param name="Colormap">The heat map colours.</param>
/// <param name="Alpha">The heat map's weight over the image.</param>
/// <param name="SaveMaps">Whether to write <c>&lt;stem&gt;.maps.safetensors</c> per image.</param>
/// <param name="Limits">The largest image accepted.</param>
/// <param name="MethodOptions">The options given to each method, by method id (<c>--option</c>).</param>
internal sealed record ExplainOptions(
    IReadOnlyList<string> Methods,
    string Layer,
    TargetMode Targets,
    string OutputDirectory,
    Colormap Colormap,
    float Alpha,
    bool SaveMaps,
    ImageLimits Limits,
    IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>>? MethodOptions = null)
{
    /// <summary>The options given to <paramref name="method"/> (none by default).</summary>
    public IReadOnlyDictionary<string, string> OptionsOf(string method) =>
        MethodOptions is not null && MethodOptions.TryGetValue(method, out var options) ? options : new Dictionary<string, string>();
}
