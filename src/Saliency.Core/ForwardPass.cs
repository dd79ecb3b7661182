using System.Runtime.CompilerServices;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Saliency;

/// <summary>
/// One forward pass of a model over a batch, set up for what the explanation needs, and the backward passes
/// taken from it. Owns every tensor it hands out; dispose it to free them and the autograd graph.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>Without gradients the forward runs under <c>no_grad</c>. With layer gradients only, it runs under
/// <c>no_grad</c> up to the layer and records the graph from the layer on (the layer output becomes a leaf), so the
/// backward stops at the layer and nothing before it is recorded. With input gradients, the whole graph is recorded
/// from a private leaf copy of the input. Whatever mode the caller is in (<c>no_grad</c> too) is restored afterwards.</item>
/// <item>The layer's output is captured and a clone goes downstream, so in-place operations after the layer
/// (<c>relu_()</c>, <c>add_()</c>) change neither the captured activation nor its gradient.</item>
/// <item>With guided ReLUs, a <see cref="ReluGate"/> follows every ReLU module and every block that ends in a
/// functional ReLU; its state decides per backward whether the gradient is plain or guided.</item>
/// <item>Hooks are removed and the modules' train/eval flags restored even when forward throws. Parameters'
/// <c>.grad</c> is never touched: gradients come from <c>torch.autograd.grad</c>, after checks that keep libtorch
/// from aborting the process.</item>
/// </list>
/// </remarks>
internal sealed class ForwardPass : IDisposable
{
    private static readonly ConditionalWeakTable<nn.Module, object> s_modelLocks = [];

    /// <summary>Models seen to modify a ReLU output in place: their gates return copies, not views.</summary>
    private static readonly ConditionalWeakTable<nn.Module, object> s_copyingGates = [];

    private readonly List<Tensor> _owned = [];
    private readonly ReluGateState _gates = new();
    private readonly Tensor _graphLogits;
    private readonly Tensor? _layerOutput;
    private readonly Tensor? _inputLeaf;
    private bool _disposed;

    private ForwardPass(IExplainable model, string? layer, MethodRequirements needs, Tensor input, Tensor graphLogits, Tensor? layerOutput, Tensor? inputLeaf, ReluGateState gates, IReadOnlyList<string> warnings)
    {
        Model = model;
        Layer = layer;
        Needs = needs;
        Input = Own(input);
        _graphLogits = Own(graphLogits);
        _layerOutput = layerOutput is null ? null : Own(layerOutput);
        _inputLeaf = inputLeaf is null ? null : Own(inputLeaf);
        _gates = gates;
        Logits = Own(graphLogits.detach());
        Activations = layerOutput is null ? null : Own(layerOutput.detach());
        Warnings = warnings;
    }

    public IExplainable Model { get; }

    public string? Layer { get; }

    public MethodRequirements Needs { get; }

    /// <summary>The input on the model's device and dtype.</summary>
    public Tensor Input { get; }

    /// <summary>Logits without graph.</summary>
    public Tensor Logits { get; }

    /// <summary>The layer output without graph, if a layer was captured.</summary>
    public Tensor? Activations { get; }

    /// <summary>Caveats found while setting up the pass (ReLUs that cannot be guided).</summary>
    public IReadOnlyList<string> Warnings { get; }

    /// <summary>Whether this pass can serve <paramref name="needs"/> at <paramref name="layer"/>.</summary>
    public bool Serves(string? layer, MethodRequirements needs)
    {
        var layerOk = (needs & MethodRequirements.LayerActivations) == 0 || string.Equals(layer, Layer, StringComparison.Ordinal);
        return layerOk && (Needs & needs) == needs;
    }

    /// <summary>Runs the forward pass.</summary>
    /// <param name="model">The model.</param>
    /// <param name="input">The batch <c>[B,C,H,W]</c>.</param>
    /// <param name="layer">The layer to capture; required when <paramref name="needs"/> asks for layer activations.</param>
    /// <param name="needs">What the backward passes will need.</param>
    /// <param name="evalMode">Whether to run the model in eval mode (its flags are restored afterwards).</param>
    public static ForwardPass Run(IExplainable model, Tensor input, string? layer, MethodRequirements needs, bool evalMode)
    {
        ArgumentNullException.ThrowIfNull(model);
        TorchRuntime.EnsureInitialized();
        var module = model.Module;
        InputValidation.CheckInput(input, module);
        var captureLayer = (needs & MethodRequirements.LayerActivations) != 0;
        var guided = (needs & MethodRequirements.GuidedRelu) == MethodRequirements.GuidedRelu;
        if (captureLayer && layer is null)
        {
            throw new ArgumentNullException(nameof(layer), "A layer is needed to capture activations.");
        }

        var layerModule = captureLayer ? model.GetLayer(layer!) : null;
        var gates = new ReluGateState();
        var warnings = guided ? model.UnguidableRelus.Select(r => $"Guided Backprop cannot guide a functional ReLU ({r}); gradients pass through it unguided.").ToList() : [];

        lock (LockOf(module))
        {
            gates.CopyOutputs = s_copyingGates.TryGetValue(module, out _);
            try
            {
                return Attempt(model, input, layer, layerModule, needs, evalMode, gates, warnings);
            }
            catch (GateOutputModifiedException)
            {
                // The model modifies a ReLU output in place, which a gate that returns its input as a view forbids:
                // gate this model with copies from now on (one extra copy per ReLU) and run again.
                s_copyingGates.AddOrUpdate(module, new object());
                gates.CopyOutputs = true;
                return Attempt(model, input, layer, layerModule, needs, evalMode, gates, warnings);
            }
        }
    }

    /// <summary>One forward with hooks and gates; the caller holds the model's lock and retries with copying gates if asked.</summary>
    private static ForwardPass Attempt(IExplainable model, Tensor input, string? layer, nn.Module<Tensor, Tensor>? layerModule, MethodRequirements needs, bool evalMode, ReluGateState gates, IReadOnlyList<string> warnings)
    {
        var module = model.Module;
        var layerGradients = (needs & MethodRequirements.LayerGradients) == MethodRequirements.LayerGradients;
        var inputGradients = (needs & MethodRequirements.InputGradients) != 0;
        var guided = (needs & MethodRequirements.GuidedRelu) == MethodRequirements.GuidedRelu;
        var lateGradients = layerGradients && !inputGradients;
        using var scope = NewDisposeScope();
        var (device, dtype) = DeviceAndType(module, input);
        var x = input.to(dtype, device).detach();
        Tensor? inputLeaf = inputGradients ? x.requires_grad_(true) : null;

        Tensor? captured = null;
        var calls = 0;
        IDisposable? gradientsFromLayer = null;
        var hooks = new List<IDisposable>();
        var modes = evalMode ? SwitchToEval(module) : null;
        var gradMode = torch.set_grad_enabled(inputGradients);
        Tensor logits;
        try
        {
            if (guided)
            {
                foreach (var gate in GatedModules(model))
                {
                    hooks.Add(ExplainableSupport.RegisterForwardHook(gate, (_, _, output) => ReluGate.Apply(output, gates)));
                }
            }

            if (layerModule is not null)
            {
                hooks.Add(ExplainableSupport.RegisterForwardHook(layerModule, (_, _, output) =>
                {
                    if (lateGradients)
                    {
                        gradientsFromLayer ??= torch.set_grad_enabled(true);
                    }

                    var activation = layerGradients && (lateGradients || !output.requires_grad)
                        ? output.detach().requires_grad_(true)
                        : output;
                    captured?.Dispose();
                    captured = activation.DetachFromDisposeScope();
                    calls++;
                    return activation.clone();
                }));
            }

            logits = module.call(x);
        }
        catch (Exception e)
        {
            captured?.Dispose();
            if (guided && !gates.CopyOutputs && e.Message.Contains(ReluGate.ViewModifiedInPlace, StringComparison.Ordinal))
            {
                throw new GateOutputModifiedException(e);
            }

            if (InputValidation.ForwardFailure(e, x, module) is { } clearer)
            {
                throw clearer;
            }

            throw;
        }
        finally
        {
            foreach (var hook in hooks)
            {
                hook.Dispose();
            }

            gradientsFromLayer?.Dispose();
            gradMode.Dispose();
            if (modes is not null)
            {
                Restore(modes);
            }
        }

        if (layerModule is not null && calls == 0)
        {
            throw new SaliencyException(
                $"Layer '{layer}' of {module.GetType().Name} did not run during forward, so nothing was captured. TorchSharp runs hooks only through call(): invoke the layer as {layer}.call(x), not {layer}.forward(x), and check that forward uses it.");
        }

        InputValidation.CheckLogits(logits, x.shape[0], module);
        if (captured is not null)
        {
            scope.Attach(captured);
        }

        var pass = new ForwardPass(model, layer, needs, x, logits, captured, inputLeaf, gates, warnings);
        scope.Detach(pass._owned);
        return pass;
    }

    /// <summary>Runs the model on <paramref name="input"/> without gradients and returns the logits (owned by the caller).</summary>
    /// <param name="model">The model.</param>
    /// <param name="input">A batch; moved to the model's device and dtype.</param>
    /// <param name="evalMode">Whether to run in eval mode (flags restored afterwards).</param>
    public static Tensor Predict(IExplainable model, Tensor input, bool evalMode)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(input);
        var module = model.Module;
        lock (LockOf(module))
        {
            using var scope = NewDisposeScope();
            var (device, dtype) = DeviceAndType(module, input);
            var modes = evalMode ? SwitchToEval(module) : null;
            try
            {
                using var noGrad = no_grad();
                return module.call(input.to(dtype, device)).MoveToOuterDisposeScope();
            }
            catch (Exception e) when (InputValidation.ForwardFailure(e, input, module) is { } clearer)
            {
                throw clearer;
            }
            finally
            {
                if (modes is not null)
                {
                    Restore(modes);
                }
            }
        }
    }

    /// <summary>Moves the model to <paramref name="device"/> unless its parameters are already there.</summary>
    public static void MoveTo(IExplainable model, Device device)
    {
        ArgumentNullException.ThrowIfNull(model);
        var module = model.Module;
        lock (LockOf(module))
        {
            var current = module.parameters().Select(p => p.device).FirstOrDefault();
            if (current is not null && (current.type != device.type || current.index != device.index))
            {
                module.to(device);
            }
        }
    }

    /// <summary>Resolves the targets: the given classes (checked) or the argmax of the logits. The result is owned by the pass.</summary>
    public Tensor ResolveTargets(IReadOnlyList<long>? targets) => Own(InputValidation.ResolveTargets(targets, Logits).DetachFromDisposeScope());

    /// <summary><c>∂(Σ_b logits[b, t_b])/∂A</c> at the captured layer. Owned by the pass.</summary>
    public Tensor LayerGradients(Tensor targets)
    {
        if (_layerOutput is null || !_layerOutput.requires_grad)
        {
            throw new InvalidOperationException("This forward pass was not set up for layer gradients.");
        }

        return Gradient(targets, _layerOutput, GradientMode.Plain, $"layer '{Layer}'");
    }

    /// <summary><c>∂(Σ_b logits[b, t_b])/∂x</c>. Owned by the pass.</summary>
    public Tensor InputGradients(Tensor targets, GradientMode mode)
    {
        if (_inputLeaf is null || (mode == GradientMode.Guided && (Needs & MethodRequirements.GuidedRelu) != MethodRequirements.GuidedRelu))
        {
            throw new InvalidOperationException($"This forward pass was not set up for {mode} input gradients.");
        }

        return Gradient(targets, _inputLeaf, mode, "the input");
    }

    /// <summary>Takes ownership of a tensor so that it is disposed with the pass.</summary>
    public Tensor Own(Tensor tensor)
    {
        _owned.Add(tensor);
        return tensor;
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        foreach (var tensor in _owned)
        {
            tensor.Dispose();
        }

        _owned.Clear();
    }

    private Tensor Gradient(Tensor targets, Tensor wrt, GradientMode mode, string what)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        using var scope = NewDisposeScope();
        using var recording = torch.enable_grad();
        var score = _graphLogits.gather(1, targets.unsqueeze(1)).sum();

        // torch.autograd.grad aborts the whole process on a libtorch error: rule out every case we know first.
        if (!score.requires_grad)
        {
            throw new SaliencyException(
                $"The logits of {Model.Module.GetType().Name} do not depend on {what} through operations that record gradients; does its forward detach the output or run under no_grad?");
        }

        if (!wrt.requires_grad || wrt.IsInvalid)
        {
            throw new InvalidOperationException($"Internal error: the gradient target ({what}) does not record gradients.");
        }

        _gates.Mode = mode;
        var gradient = torch.autograd.grad([score], [wrt], retain_graph: true, allow_unused: true)[0];
        if (gradient is null || gradient.IsInvalid)
        {
            throw new SaliencyException($"The logits of {Model.Module.GetType().Name} do not depend on {what}: the layer's output does not reach the classifier. Choose a layer on the path to the output.");
        }

        return Own(gradient.DetachFromDisposeScope());
    }

    /// <summary>
    /// The lock that serialises passes over one model: hooks and train/eval flags live on the shared modules,
    /// so two passes on the same model must not overlap. Passes on different models run in parallel.
    /// </summary>
    private static object LockOf(nn.Module module) => s_modelLocks.GetValue(module, _ => new object());

    private static IEnumerable<nn.Module<Tensor, Tensor>> GatedModules(IExplainable model)
    {
        foreach (var (_, module) in model.Module.named_modules())
        {
            if (module is ReLU relu)
            {
                yield return relu;
            }
        }

        foreach (var path in model.FunctionalReluOutputs)
        {
            yield return model.GetLayer(path);
        }
    }

    /// <summary>The device a model's parameters live on (the input's when it has none).</summary>
    public static Device DeviceOf(IExplainable model, Tensor input) => DeviceAndType(model.Module, input).Device;

    private static (Device Device, ScalarType Type) DeviceAndType(nn.Module module, Tensor input)
    {
        foreach (var parameter in module.parameters())
        {
            return (parameter.device, parameter.dtype);
        }

        return (input.device, input.dtype);
    }

    private static List<(nn.Module Module, bool Training)>? SwitchToEval(nn.Module module)
    {
        var modes = new List<(nn.Module, bool)> { (module, module.training) };
        modes.AddRange(module.named_modules().Where(m => m.name.Length > 0).Select(m => (m.module, m.module.training)));
        if (!modes.Any(m => m.Item2))
        {
            return null;
        }

        module.eval();
        return modes;
    }

    private static void Restore(List<(nn.Module Module, bool Training)> modes)
    {
        // Pre-order: a parent's train(flag) reaches its children, which then set their own flag again.
        foreach (var (module, training) in modes)
        {
            if (module.training != training)
            {
                module.train(training);
            }
        }
    }

    /// <summary>A gate's output (a view of the ReLU output) was modified in place; the pass is retried with copying gates.</summary>
    private sealed class GateOutputModifiedException(Exception inner) : Exception(inner.Message, inner);
}
