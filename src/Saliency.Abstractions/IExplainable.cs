using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Saliency;

/// <summary>A forward hook on an explainable layer: module, input, output; return a tensor to replace the output, or <see langword="null"/> to keep it.</summary>
/// <param name="module">The hooked module.</param>
/// <param name="input">The module's input.</param>
/// <param name="output">The module's output.</param>
public delegate Tensor? LayerHook(nn.Module<Tensor, Tensor> module, Tensor input, Tensor output);

/// <summary>
/// A model viewed for explanation: which layers can be explained, how to reach and hook them, and
/// which classifier head CAM uses. Annotated models get this implementation from the source generator;
/// any other module gets it from <c>ExplainableModule.Create</c> in Saliency.Core.
/// </summary>
public interface IExplainable
{
    /// <summary>The module whose <c>call</c> maps an input batch <c>[B,C,H,W]</c> to logits <c>[B,classes]</c>.</summary>
    nn.Module<Tensor, Tensor> Module { get; }

    /// <summary>The named explainable layers, in declaration order.</summary>
    IReadOnlyList<ExplainableLayer> Layers { get; }

    /// <summary>The layer explained when a request names none.</summary>
    string DefaultLayer { get; }

    /// <summary>
    /// Resolves a layer by its explainable name, or by a dotted <c>named_modules()</c> path such as <c>layer4.1.conv2</c>.
    /// </summary>
    /// <param name="name">The layer name or module path.</param>
    /// <returns>The module; its output is the activation that gets explained.</returns>
    /// <exception cref="UnknownLayerException">No such layer; the message lists the valid names and the nearest one.</exception>
    nn.Module<Tensor, Tensor> GetLayer(string name);

    /// <summary>Registers a forward hook on a layer.</summary>
    /// <param name="layer">The layer name or module path, as for <see cref="GetLayer"/>.</param>
    /// <param name="hook">The hook. It runs only when the layer is invoked through <c>call</c>.</param>
    /// <returns>A handle whose <see cref="IDisposable.Dispose"/> removes the hook.</returns>
    IDisposable RegisterForwardHook(string layer, LayerHook hook);

    /// <summary>The <c>Linear</c> head fed by global average pooling of the explained layer, if the model has one (CAM needs it).</summary>
    Linear? ClassifierHead { get; }

    /// <summary>
    /// Module paths whose output is the result of a functional ReLU (e.g. a residual block ending in <c>relu_()</c>).
    /// Guided Backprop gates these outputs as if a ReLU module ended the block, which is exact for such blocks.
    /// </summary>
    IReadOnlyList<string> FunctionalReluOutputs { get; }

    /// <summary>
    /// Functional ReLUs that no hook can reach, one description each (empty when every ReLU is a module or
    /// listed in <see cref="FunctionalReluOutputs"/>). Guided Backprop passes plain gradients through them and says so.
    /// </summary>
    IReadOnlyList<string> UnguidableRelus { get; }

    /// <summary>
    /// How a layer's output tokens lie on the image, for transformer layers that output <c>[B,N,C]</c>; <see langword="null"/>
    /// (the default) for layers that output <c>[B,C,h,w]</c> maps.
    /// </summary>
    /// <param name="layer">The layer name or module path.</param>
    /// <returns>The layout, or <see langword="null"/>.</returns>
    TokenLayout? GetTokenLayout(string layer) => null;
}
