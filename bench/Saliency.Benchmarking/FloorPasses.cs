using TorchSharp;
using static TorchSharp.torch;

namespace Saliency.Benchmarking;

/// <summary>
/// The passes each saliency method needs, written in plain TorchSharp with no Saliency code: the floor a method's
/// cost is compared with. The selected logit of every item is its argmax (as the host picks by default), and the
/// batch's selected logits are summed and differentiated once.
/// </summary>
/// <remarks>
/// <para>The layer output is captured with a plain <c>register_forward_hook</c>. TorchVision's ResNet runs its forward
/// in its own dispose scope, which would free the captured tensor when forward returns, so the hook detaches it from
/// that scope and the floor attaches it to its own.</para>
/// <para>Gradients come from <c>torch.autograd.grad</c>, which touches no parameter's <c>.grad</c>. The Python
/// libraries run a full <c>backward()</c> instead, which at <c>layer4</c> costs about three forwards; these floors are
/// the forward itself plus the backward that is really needed.</para>
/// <para>Each method returns what it computed, so that tests can compare it with the host's; the caller disposes it.
/// Every intermediate tensor is freed before the method returns.</para>
/// </remarks>
public sealed class FloorPasses
{
    private readonly nn.Module<Tensor, Tensor> _model;
    private readonly nn.Module<Tensor, Tensor> _layer;
    private readonly Device _device;

    /// <summary>Creates the floors of <paramref name="model"/> at <paramref name="layer"/>.</summary>
    /// <param name="model">The model, already in eval mode and on its device.</param>
    /// <param name="layer">The path of the explained layer in <c>named_modules()</c>, such as <c>layer4</c>.</param>
    /// <exception cref="ArgumentException">No module has that path.</exception>
    public FloorPasses(nn.Module<Tensor, Tensor> model, string layer)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(layer);
        _model = model;
        _layer = model.named_modules().FirstOrDefault(m => m.name == layer).module as nn.Module<Tensor, Tensor>
            ?? throw new ArgumentException($"{model.GetType().Name} has no module '{layer}' of type Module<Tensor,Tensor>.", nameof(layer));
        _device = model.parameters().Select(p => p.device).FirstOrDefault() ?? torch.CPU;
    }

    /// <summary>Creates the floors of the benchmark model at its layer.</summary>
    /// <param name="model">The benchmark model.</param>
    /// <returns>The floors.</returns>
    public static FloorPasses For(BenchModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return new FloorPasses(model.Module, BenchModel.Layer);
    }

    /// <summary>Runs the floor of <paramref name="floor"/> and frees what it computed.</summary>
    /// <param name="floor">One of <see cref="BenchCase.Floors"/>.</param>
    /// <param name="input">The batch.</param>
    /// <exception cref="ArgumentException"><paramref name="floor"/> is not a floor.</exception>
    public void Run(BenchCase floor, Tensor input)
    {
        ArgumentNullException.ThrowIfNull(floor);
        switch (floor.Id)
        {
            case "forward":
                Forward(input).Dispose();
                break;
            case "layer-grad":
                LayerGradient(input).Dispose();
                break;
            case "input-grad":
                InputGradient(input).Dispose();
                break;
            case "both-grads":
                var (layer, inputGradient) = BothGradients(input);
                layer.Dispose();
                inputGradient.Dispose();
                break;
            default:
                throw new ArgumentException($"'{floor.Id}' is not a floor.", nameof(floor));
        }
    }

    /// <summary>The forward under <c>no_grad</c> (CAM's floor).</summary>
    /// <param name="input">The batch <c>[B,3,H,W]</c>.</param>
    /// <returns>The logits.</returns>
    public Tensor Forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var logits = _model.call(input);
        return Done(logits.MoveToOuterDisposeScope());
    }

    /// <summary>The forward, then <c>∂(Σ_b logits[b, argmax_b])/∂A</c> at the layer (Grad-CAM's floor).</summary>
    /// <param name="input">The batch.</param>
    /// <returns>The gradient at the layer output.</returns>
    public Tensor LayerGradient(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        using var scope = NewDisposeScope();
        var (logits, activation) = ForwardCapturing(input, scope);
        var score = SelectedScore(logits);
        var gradient = torch.autograd.grad([score], [activation])[0];
        return Done(gradient.MoveToOuterDisposeScope());
    }

    /// <summary>The forward from a leaf copy of the input, then <c>∂(Σ_b logits[b, argmax_b])/∂x</c> (Guided Backprop's floor).</summary>
    /// <param name="input">The batch.</param>
    /// <returns>The gradient at the input.</returns>
    public Tensor InputGradient(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        using var scope = NewDisposeScope();
        using var recording = enable_grad();
        var x = input.detach().requires_grad_(true);
        var score = SelectedScore(_model.call(x));
        var gradient = torch.autograd.grad([score], [x])[0];
        return Done(gradient.MoveToOuterDisposeScope());
    }

    /// <summary>One forward from a leaf copy of the input, the gradient at the layer (keeping the graph), then the gradient at the input (Guided Grad-CAM's floor).</summary>
    /// <param name="input">The batch.</param>
    /// <returns>Both gradients.</returns>
    public (Tensor Layer, Tensor Input) BothGradients(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        using var scope = NewDisposeScope();
        using var recording = enable_grad();
        var x = input.detach().requires_grad_(true);
        var (logits, activation) = ForwardCapturing(x, scope);
        var score = SelectedScore(logits);
        var atLayer = torch.autograd.grad([score], [activation], retain_graph: true)[0];
        var atInput = torch.autograd.grad([score], [x])[0];
        Done(atInput);
        return (atLayer.MoveToOuterDisposeScope(), atInput.MoveToOuterDisposeScope());
    }

    private static Tensor SelectedScore(Tensor logits)
    {
        using var targets = logits.detach().argmax(1);
        return logits.gather(1, targets.unsqueeze(1)).sum();
    }

    private (Tensor Logits, Tensor Activation) ForwardCapturing(Tensor input, DisposeScope scope)
    {
        Tensor? captured = null;
        using var recording = enable_grad();
        var hook = _layer.register_forward_hook((_, _, output) =>
        {
            captured = output.DetachFromDisposeScope();
            return null!;
        });
        try
        {
            var logits = _model.call(input);
            if (captured is null)
            {
                throw new InvalidOperationException("The layer did not run during forward.");
            }

            scope.Attach(captured);
            return (logits, captured);
        }
        finally
        {
            hook.remove();
        }
    }

    /// <summary>CUDA queues work: wait for it, so that the time measured is the time spent.</summary>
    private Tensor Done(Tensor result)
    {
        if (_device.type == DeviceType.CUDA)
        {
            torch.cuda.synchronize(_device);
        }

        return result;
    }
}
