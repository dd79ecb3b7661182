using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Saliency;

/// <summary>
/// What a saliency method works with: the input batch, the target, and lazily computed, cached passes (one forward
/// shared by every method of a request; one backward per kind of gradient), plus forwards for perturbation methods.
/// </summary>
/// <remarks>
/// Ownership, one rule: every tensor the context hands out — its properties and what its methods return — belongs
/// to the host and is freed when the method's <see cref="ISaliencyMethod.Explain"/> returns. Read it, do not modify
/// or dispose it; what the method computes from it is freed then too, except the two tensors passed to
/// <see cref="Result"/>, which the result takes. (<see cref="Invoke"/> returns a <see cref="SaliencyResult"/>, not a
/// tensor: dispose it.)
/// </remarks>
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

    /// <summary>The model's output for the batch from the shared forward pass — for a classifier the logits <c>[B,classes]</c> (no gradient attached).</summary>
    Tensor Logits { get; }

    /// <summary>
    /// The target class of every item <c>[B]</c>, int64: the request's classes, or the argmax of the logits; −1 for
    /// every item when the request's <see cref="Target"/> is not a class.
    /// </summary>
    Tensor Targets { get; }

    /// <summary>What is explained: the request's <see cref="ExplainRequest.Target"/>, or the class logit of <see cref="Targets"/>.</summary>
    ExplanationTarget Target { get; }

    /// <summary>The target's score of every item <c>[B]</c> in the shared forward pass (no gradient attached).</summary>
    Tensor Scores { get; }

    /// <summary>Cancelled when the caller gives up; long methods check it between chunks (the host checks it between methods).</summary>
    CancellationToken CancellationToken { get; }

    /// <summary>The explained layer's output <c>A</c>, <c>[B,K,h,w]</c>, from the shared forward pass (no gradient attached).</summary>
    Tensor Activations { get; }

    /// <summary>
    /// <c>∂y_c/∂A</c>, <c>[B,K,h,w]</c>: the gradient of each item's target logit with respect to the layer output
    /// (the batch's target logits are summed and differentiated once).
    /// </summary>
    Tensor LayerGradients { get; }

    /// <summary><c>∂y_c/∂x</c>, <c>[B,C,H,W]</c>: the gradient of each item's target logit with respect to the input.</summary>
    /// <param name="mode">
    /// Plain gradients, guided through every ReLU (declare <see cref="MethodRequirements.GuidedRelu"/>), or
    /// deconvolved through every ReLU module (declare <see cref="MethodRequirements.DeconvolutionRelu"/>). ReLUs a mode
    /// cannot treat exactly are reported as warnings of the result.
    /// </param>
    /// <returns>The gradient, computed once per mode and cached.</returns>
    Tensor InputGradients(GradientMode mode);

    /// <summary>
    /// The plain gradients of the target's scores with respect to many inputs (path methods such as Integrated
    /// Gradients: scaled or noisy variants of the items): row <c>n</c> of the result is <c>∂score(items[n])/∂inputs[n]</c>.
    /// The inputs run through the model in chunks, one forward and one backward each, holding the model's lock for each
    /// chunk; parameters' gradients are never touched.
    /// </summary>
    /// <param name="inputs">The inputs <c>[N,C,H,W]</c> on <see cref="Device"/>, shaped like <see cref="Input"/>'s rows.</param>
    /// <param name="items">For each input, the batch item whose target scores it, <c>[N]</c> int64.</param>
    /// <param name="chunkSize">Inputs per forward and backward pass (the method chooses: memory against speed).</param>
    /// <returns>The gradients <c>[N,C,H,W]</c>.</returns>
    /// <exception cref="OperationCanceledException"><see cref="CancellationToken"/> was cancelled between chunks.</exception>
    Tensor InputGradientsAt(Tensor inputs, Tensor items, int chunkSize);

    /// <summary>The model's classifier head (a <c>Linear</c> after global average pooling).</summary>
    /// <exception cref="SaliencyException">The model has no classifier head.</exception>
    Linear ClassifierHead { get; }

    /// <summary>Runs the model on another batch shaped like <see cref="Input"/> and returns its output (no gradient).</summary>
    /// <param name="input">A batch on <see cref="Device"/>.</param>
    /// <returns>The output, e.g. logits <c>[B',classes]</c>.</returns>
    Tensor Forward(Tensor input);

    /// <summary>
    /// The target's scores of many inputs (perturbation methods: masked or blurred variants of the items), run
    /// through the model in chunks under <c>no_grad</c>.
    /// </summary>
    /// <param name="inputs">The inputs <c>[N,C,H,W]</c> on <see cref="Device"/>.</param>
    /// <param name="items">For each input, the batch item whose target scores it, <c>[N]</c> int64.</param>
    /// <param name="chunkSize">Inputs per forward pass (the method chooses: memory against speed).</param>
    /// <returns>The scores <c>[N]</c>.</returns>
    /// <exception cref="OperationCanceledException"><see cref="CancellationToken"/> was cancelled between chunks.</exception>
    Tensor ScoreInputs(Tensor inputs, Tensor items, int chunkSize);

    /// <summary>
    /// The target's scores when the explained layer's output is replaced (Ablation-CAM and its kin): for each row
    /// <c>n</c>, the model runs on item <c>items[n]</c> with the layer's output replaced by <c>layerOutputs[n]</c>, in
    /// chunks under <c>no_grad</c>, holding the model's lock for each chunk.
    /// </summary>
    /// <param name="layerOutputs">Replacement layer outputs <c>[N,K,h,w]</c>, shaped like <see cref="Activations"/>' rows.</param>
    /// <param name="items">For each row, the batch item it belongs to, <c>[N]</c> int64.</param>
    /// <param name="chunkSize">Rows per forward pass.</param>
    /// <returns>The scores <c>[N]</c>.</returns>
    /// <exception cref="OperationCanceledException"><see cref="CancellationToken"/> was cancelled between chunks.</exception>
    Tensor ScoreLayerOutputs(Tensor layerOutputs, Tensor items, int chunkSize);

    /// <summary>Runs another method on the same input, targets and layer, sharing this context's passes.</summary>
    /// <param name="method">The method id; list it in <see cref="MethodDescriptor.Composes"/>.</param>
    /// <returns>A result the caller owns and must dispose.</returns>
    SaliencyResult Invoke(string method);

    /// <summary>Reads an option of the request, or <paramref name="defaultValue"/> when it is absent.</summary>
    /// <param name="key">The option key.</param>
    /// <param name="defaultValue">The value when absent.</param>
    /// <returns>The option's value.</returns>
    string GetOption(string key, string defaultValue);

    /// <summary>Reads an option of the request as a <typeparamref name="T"/> (invariant culture), or <paramref name="defaultValue"/> when it is absent.</summary>
    /// <typeparam name="T">A parsable type: <c>int</c>, <c>double</c>, <c>bool</c>…</typeparam>
    /// <param name="key">The option key.</param>
    /// <param name="defaultValue">The value when absent.</param>
    /// <returns>The option's value.</returns>
    /// <exception cref="ArgumentException">The value does not parse; the message names the method, the key and the value.</exception>
    T GetOption<T>(string key, T defaultValue)
        where T : IParsable<T>;

    /// <summary>Adds a warning to the result (for example, a ReLU that Guided Backprop could not guide).</summary>
    /// <param name="message">One line.</param>
    void Warn(string message);

    /// <summary>Builds the method's result, which takes ownership of <paramref name="raw"/> and <paramref name="map"/>.</summary>
    /// <param name="raw">The method's own output before upsampling and normalisation (<c>[B,h,w]</c> or <c>[B,C,H,W]</c>).</param>
    /// <param name="map">The map <c>[B,H,W]</c> in <c>[0,1]</c> at input resolution.</param>
    /// <returns>The result, carrying this context's method, layer, targets and warnings.</returns>
    SaliencyResult Result(Tensor raw, Tensor map);
}
