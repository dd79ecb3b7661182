using TorchSharp;
using static TorchSharp.torch;

namespace Saliency;

/// <summary>
/// The forward hook on the explained layer: it keeps the layer's output (the activation <c>A</c>) and sends a clone
/// downstream, so in-place operations after the layer (<c>relu_()</c>, <c>add_()</c>) change neither the activation nor
/// its gradient. For layer gradients it makes <c>A</c> a leaf that records gradients; when only layer gradients are
/// needed the forward runs without gradients up to the layer and turns recording on from the layer on, so the
/// backward stops at the layer and nothing before it is recorded.
/// </summary>
internal sealed class LayerCaptureHook : IDisposable
{
    private readonly IDisposable _hook;
    private readonly bool _gradients;
    private readonly bool _recordFromLayer;
    private IDisposable? _recording;

    /// <param name="layer">The explained layer.</param>
    /// <param name="gradients">Whether <c>∂/∂A</c> will be asked for.</param>
    /// <param name="recordFromLayer">Whether the forward runs without gradients until the layer (only layer gradients needed).</param>
    public LayerCaptureHook(nn.Module<Tensor, Tensor> layer, bool gradients, bool recordFromLayer)
    {
        _gradients = gradients;
        _recordFromLayer = recordFromLayer;
        _hook = ExplainableSupport.RegisterForwardHook(layer, (_, _, output) => OnForward(output));
    }

    /// <summary>The last activation captured (outside any dispose scope until <see cref="ForwardPass"/> owns it).</summary>
    public Tensor? Activation { get; private set; }

    /// <summary>How often the layer ran during the forward.</summary>
    public int Calls { get; private set; }

    /// <summary>Removes the hook and ends the gradient recording it started; call before the caller restores its own grad mode.</summary>
    public void Dispose()
    {
        _hook.Dispose();
        _recording?.Dispose();
        _recording = null;
    }

    private Tensor OnForward(Tensor output)
    {
        if (_recordFromLayer)
        {
            _recording ??= torch.set_grad_enabled(true);
        }

        var activation = _gradients && (_recordFromLayer || !output.requires_grad)
            ? output.detach().requires_grad_(true)
            : output;
        Activation?.Dispose();
        Activation = activation.DetachFromDisposeScope();
        Calls++;
        return activation.clone();
    }
}
