using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Saliency.Tests;

/// <summary>Loads the model of a reference case.</summary>
public static class Models
{
    /// <summary>The case's model (<see cref="GapNet"/> or <see cref="VggMini"/>) with its weights, in eval mode.</summary>
    public static LoadedModel Load(ReferenceCase reference) => reference.Name switch
    {
        "gapnet" => new LoadedModel(GapNet.Load(reference.ModelPath)),
        "vggmini" => new LoadedModel(VggMini.Load(reference.ModelPath)),
        _ => throw new ArgumentException($"No C# model for case {reference.Name}."),
    };
}

/// <summary>A loaded reference model, explainable and disposable.</summary>
public sealed class LoadedModel : IExplainable, IDisposable
{
    private readonly IExplainable _explainable;

    /// <summary>Wraps an annotated model.</summary>
    public LoadedModel(nn.Module<Tensor, Tensor> net)
    {
        Net = net;
        _explainable = (IExplainable)net;
    }

    /// <summary>The model.</summary>
    public nn.Module<Tensor, Tensor> Net { get; }

    /// <inheritdoc />
    public nn.Module<Tensor, Tensor> Module => _explainable.Module;

    /// <inheritdoc />
    public IReadOnlyList<ExplainableLayer> Layers => _explainable.Layers;

    /// <inheritdoc />
    public string DefaultLayer => _explainable.DefaultLayer;

    /// <inheritdoc />
    public Linear? ClassifierHead => _explainable.ClassifierHead;

    /// <inheritdoc />
    public IReadOnlyList<string> FunctionalReluOutputs => _explainable.FunctionalReluOutputs;

    /// <inheritdoc />
    public IReadOnlyList<string> UnguidableRelus => _explainable.UnguidableRelus;

    /// <inheritdoc />
    public nn.Module<Tensor, Tensor> GetLayer(string name) => _explainable.GetLayer(name);

    /// <inheritdoc />
    public IDisposable RegisterForwardHook(string layer, LayerHook hook) => _explainable.RegisterForwardHook(layer, hook);

    /// <inheritdoc />
    public void Dispose() => Net.Dispose();
}
