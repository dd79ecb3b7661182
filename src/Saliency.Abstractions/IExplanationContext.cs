using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Saliency;

/// <summary>
/// What a saliency method works with: the input batch, the target classes, and lazily computed, cached
/// passes (one forward shared by every method of a request; one backward per kind of gradient).
/// Tensors handed out here belong to the context: read them, do not modify or dispose them.
/// </summary>
public interface IExplanationContext
{
    /// <summary>The model being explained.</summary>
    IExplainable Model { get; }

    /// <summary>The request, including the method's options.</summary>
    ExplainRequest Request { get; }

    /// <summary>The id of the method being run (differs from <see cref="ExplainRequest.Method"/> inside <see cref="Invoke"/>).</summary>
    string Method { get; }

    /// <summary>The explained layer's name.</summary>
    string Layer { get; }

    /// <summary>The device the model and tensors are on.</summary>
    Device Device { get; }

    /// <summary>The input batch <c>[B,C,H,W]</c>, float32, on <see cref="Device"/>.</summary>
    Tensor Input { get; }

    /// <summary>Input height <c>H</c>.</summary>
    long InputHeight { get; }

    /// <summary>Input width <c>W</c>.</summary>
    long InputWidth { get; }

    /// <summary>The logits <c>[B,classes]</c> of the shared forward pass (no gradient attached).</summary>
    Tensor Logits { get; }

    /// <summary>The target class of every item <c>[B]</c>, int64: the request's targets, or the argmax of the logits.</summary>
    Tensor Targets { get; }

    /// <summary>The explained layer's output <c>A</c>, <c>[B,K,h,w]</c>, from the shared forward pass (no gradient attached).</summary>
    Tensor Activations { get; }

    /// <summary>
    /// <c>∂y_c/∂A</c>, <c>[B,K,h,w]</c>: the gradient of each item's target logit with respect to the layer output
    /// (the batch's target logits are summed and differentiated once).
    /// </summary>
    Tensor LayerGradients { get; }

    /// <summary><c>∂y_c/∂x</c>, <c>[B,C,H,W]</c>: the gradient of each item's target logit with respect to the input.</summary>
    /// <param name="mode">Plain gradients, or guided through every ReLU.</param>
    /// <returns>The gradient, computed once per mode and cached.</returns>
    Tensor InputGradients(GradientMode mode);

    /// <summary>The model's classifier head (a <c>Linear</c> after global average pooling).</summary>
    /// <exception cref="SaliencyException">The model has no classifier head.</exception>
    Linear ClassifierHead { get; }

    /// <summary>Runs the model on another batch shaped like <see cref="Input"/> and returns its logits (no gradient).</summary>
    /// <param name="input">A batch on <see cref="Device"/>.</param>
    /// <returns>The logits <c>[B',classes]</c>.</returns>
    Tensor Forward(Tensor input);

    /// <summary>Runs another method on the same input, targets and layer, sharing this context's passes.</summary>
    /// <param name="method">The method id; list it in <see cref="MethodDescriptor.Composes"/>.</param>
    /// <returns>A result the caller owns and must dispose.</returns>
    SaliencyResult Invoke(string method);

    /// <summary>Reads an option of the request, or <paramref name="defaultValue"/> when it is absent.</summary>
    /// <param name="key">The option key.</param>
    /// <param name="defaultValue">The value when absent.</param>
    /// <returns>The option's value.</returns>
    string GetOption(string key, string defaultValue);

    /// <summary>Adds a warning to the result (for example, a ReLU that Guided Backprop could not guide).</summary>
    /// <param name="message">One line.</param>
    void Warn(string message);

    /// <summary>Builds the method's result, which takes ownership of <paramref name="raw"/> and <paramref name="map"/>.</summary>
    /// <param name="raw">The method's own output before upsampling and normalisation (<c>[B,h,w]</c> or <c>[B,C,H,W]</c>).</param>
    /// <param name="map">The map <c>[B,H,W]</c> in <c>[0,1]</c> at input resolution.</param>
    /// <returns>The result, carrying this context's method, layer, targets and warnings.</returns>
    SaliencyResult Result(Tensor raw, Tensor map);
}
