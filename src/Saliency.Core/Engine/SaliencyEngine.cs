using static TorchSharp.torch;

namespace Saliency;

/// <summary>
/// The capture engine: one forward pass that captures a layer's activation and, when asked, one backward pass for
/// the gradient of each item's target logit — batched, on the model's device, leaving the model as it was.
/// </summary>
/// <example>
/// <code>
/// using var capture = SaliencyEngine.Capture(model, images, layer: SmallNet.Layers.Features);
/// var weights = capture.Gradients!.mean([2, 3]);   // Grad-CAM's α_k^c
/// </code>
/// </example>
public static class SaliencyEngine
{
    /// <summary>Captures the activation of <paramref name="layer"/> and, optionally, <c>∂y_c/∂A</c> for every item.</summary>
    /// <param name="model">The model.</param>
    /// <param name="input">The batch <c>[B,C,H,W]</c>; moved to the model's device and dtype (the caller's tensor is not modified).</param>
    /// <param name="layer">The layer name or module path; <see langword="null"/> means the model's default layer.</param>
    /// <param name="targets">One target class per item; <see langword="null"/> means each item's argmax.</param>
    /// <param name="gradients">Whether to compute <c>∂y_c/∂A</c>.</param>
    /// <param name="evalMode">Whether to run the model in eval mode (its train/eval flags are restored afterwards).</param>
    /// <param name="kernelCheck">Whether to check the device's convolution kernels first (<see cref="KernelGuard"/>).</param>
    /// <returns>The capture; it owns its tensors.</returns>
    /// <exception cref="ArgumentException">The input, the layer or a target is invalid (the message says which and how to fix it).</exception>
    /// <exception cref="SaliencyException">The model cannot be explained as asked (for example, the layer never runs).</exception>
    /// <exception cref="KernelCheckException">The device's convolution kernels compute wrong numbers and there is no correct route.</exception>
    public static LayerCapture Capture(IExplainable model, Tensor input, string? layer = null, IReadOnlyList<long>? targets = null, bool gradients = true, bool evalMode = true, KernelCheckMode kernelCheck = KernelCheckMode.Auto)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(input);
        var kernels = KernelGuard.Default.Ensure(ForwardPass.DeviceOf(model, input), kernelCheck);
        using var kernelSettings = KernelGuard.Pass();
        var name = layer ?? model.DefaultLayer;
        var needs = gradients ? MethodRequirements.LayerGradients : MethodRequirements.LayerActivations;
        using var pass = ForwardPass.Run(model, input, name, needs, evalMode);
        using var scope = NewDisposeScope();
        var (target, resolved) = pass.ResolveTarget(new ExplainRequest("capture") { Targets = targets });
        var gradient = gradients ? pass.LayerGradients(target) : null;
        return new LayerCapture(name, pass.Logits.clone(), resolved.clone(), pass.Activations!.clone(), gradient?.clone(), kernels?.Warning is { } warning ? [warning] : []);
    }

    /// <summary>The gradient of each item's target logit with respect to the input, <c>[B,C,H,W]</c>.</summary>
    /// <param name="model">The model.</param>
    /// <param name="input">The batch <c>[B,C,H,W]</c> (not modified).</param>
    /// <param name="targets">One target class per item; <see langword="null"/> means each item's argmax.</param>
    /// <param name="mode">Plain, guided through every ReLU (Guided Backprop), or deconvolved through every ReLU module.</param>
    /// <param name="evalMode">Whether to run the model in eval mode.</param>
    /// <param name="kernelCheck">Whether to check the device's convolution kernels first (<see cref="KernelGuard"/>; its status holds any warning).</param>
    /// <returns>The gradient; the caller owns it.</returns>
    /// <exception cref="KernelCheckException">The device's convolution kernels compute wrong numbers and there is no correct route.</exception>
    public static Tensor InputGradients(IExplainable model, Tensor input, IReadOnlyList<long>? targets = null, GradientMode mode = GradientMode.Plain, bool evalMode = true, KernelCheckMode kernelCheck = KernelCheckMode.Auto)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(input);
        KernelGuard.Default.Ensure(ForwardPass.DeviceOf(model, input), kernelCheck);
        using var kernelSettings = KernelGuard.Pass();
        using var pass = ForwardPass.Run(model, input, null, PassSpec.NeedsFor(mode), evalMode);
        using var scope = NewDisposeScope();
        var gradient = pass.InputGradients(pass.ResolveTarget(new ExplainRequest("input-gradients") { Targets = targets }).Target, mode);
        return gradient.clone().DetachFromDisposeScope();
    }
}

/// <summary>What <see cref="SaliencyEngine.Capture"/> captured. Owns its tensors.</summary>
public sealed class LayerCapture : IDisposable
{
    internal LayerCapture(string layer, Tensor logits, Tensor targets, Tensor activations, Tensor? gradients, IReadOnlyList<string> warnings)
    {
        Layer = layer;
        Warnings = warnings;
        Logits = logits.DetachFromDisposeScope();
        Targets = targets.DetachFromDisposeScope();
        Activations = activations.DetachFromDisposeScope();
        Gradients = gradients?.DetachFromDisposeScope();
    }

    /// <summary>The captured layer.</summary>
    public string Layer { get; }

    /// <summary>The logits <c>[B,classes]</c>.</summary>
    public Tensor Logits { get; }

    /// <summary>The target class per item <c>[B]</c>, int64.</summary>
    public Tensor Targets { get; }

    /// <summary>The layer output <c>A</c>, e.g. <c>[B,K,h,w]</c>.</summary>
    public Tensor Activations { get; }

    /// <summary><c>∂y_c/∂A</c>, shaped like <see cref="Activations"/>; <see langword="null"/> when not asked for.</summary>
    public Tensor? Gradients { get; }

    /// <summary>Caveats the user should see, such as the kernel guard's (empty when none).</summary>
    public IReadOnlyList<string> Warnings { get; }

    /// <summary>Disposes the tensors.</summary>
    public void Dispose()
    {
        Logits.Dispose();
        Targets.Dispose();
        Activations.Dispose();
        Gradients?.Dispose();
    }
}
