using Saliency.Imaging;
using Saliency.Models;

namespace Saliency.Cli.Modeling;

/// <summary>A model ready to explain: its explainable view (in eval mode, on the host's device), input spec and labels.</summary>
internal sealed class LoadedModel(string name, IExplainable explainable, InputSpec input, ClassLabels labels) : IDisposable
{
    /// <summary>The name the user gave.</summary>
    public string Name { get; } = name;

    /// <summary>The explainable view.</summary>
    public IExplainable Explainable { get; } = explainable;

    /// <summary>What the model takes.</summary>
    public InputSpec Input { get; } = input;

    /// <summary>The class names.</summary>
    public ClassLabels Labels { get; } = labels;

    public void Dispose() => Explainable.Module.Dispose();
}
