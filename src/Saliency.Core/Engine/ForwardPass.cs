using System.Runtime.CompilerServices;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Saliency;

/// <summary>
/// One forward pass of a model over a batch, set up for what the explanation needs, and the backward passes taken
/// from it. Owns every tensor it hands out; dispose it to free them and the autograd graph.
/// (Over 300 lines on purpose: the forward and the backward passes share the graph, the gates and their ownership;
/// the set-up lives in <see cref="PassSpec"/> and <see cref="LayerCaptureHook"/>.)
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>Without gradients the forward runs under <c>no_grad</c>. With layer gradients only, it records the graph from
/// the layer on (<see cref="LayerCaptureHook"/>). With input gradients, the whole graph is recorded from a private
/// leaf copy of the input. Whatever mode the caller is in (<c>no_grad</c> too) is restored afterwards.</item>
/// <item>With guided ReLUs, a <see cref="ReluGate"/> follows every ReLU module and every block that ends in a
/// functional ReLU; its state decides per backward whether the gradient is plain or guided. With deconvolved ReLUs,
/// a <see cref="ReluInputGate"/> stands in for every ReLU module instead (it can drop the forward mask, which a gate
/// after the ReLU cannot), and blocks that end in a functional ReLU keep a <see cref="ReluGate"/>.</item>
/// <item>Hooks are removed and train/eval flags restored even when forward throws (<see cref="ModelSession"/>).
/// Gradients come from <c>torch.autograd.grad</c> of the target's scores, after checks that keep libtorch from
/// aborting the process; parameters' <c>.grad</c> is never touched.</item>
/// </list>
/// </remarks>
internal sealed class ForwardPass : IDisposable
{
    /// <summary>Models seen to modify a ReLU output in place: their gates return copies, not views.</summary>
    private static readonly ConditionalWeakTable<nn.Module, object> s_copyingGates = [];

    private readonly List<Tensor> _owned = [];
    private readonly ReluGateState _gates;
    private readonly Tensor _graphOutput;
    private readonly Tensor? _layerOutput;
    private readonly Tensor? _inputLeaf;
    private bool _disposed;

    private ForwardPass(PassSpec spec, Tensor input, Tensor graphOutput, Tensor? layerOutput, Tensor? inputLeaf, ReluGateState gates)
    {
        Spec = spec;
        Input = Own(input);
        _graphOutput = Own(graphOutput);
        _layerOutput = layerOutput is null ? null : Own(layerOutput);
        _inputLeaf = inputLeaf is null ? null : Own(inputLeaf);
        _gates = gates;
        Logits = Own(graphOutput.detach());
        Activations = layerOutput is null ? null : Own(Grid(layerOutput.detach()));
    }

    public PassSpec Spec { get; }

    public IExplainable Model => Spec.Model;

    public string? Layer => Spec.Layer;

    /// <summary>The input on the model's device and dtype.</summary>
    public Tensor Input { get; }

    /// <summary>The model's output without graph (logits, for a classifier).</summary>
    public Tensor Logits { get; }

    /// <summary>The layer output without graph, if a layer was captured.</summary>
    public Tensor? Activations { get; }

    /// <summary>Caveats of input gradients in <paramref name="mode"/> (ReLUs that cannot be guided or deconvolved exactly).</summary>
    public IReadOnlyList<string> WarningsFor(GradientMode mode) => Spec.WarningsFor(mode);

    /// <summary>Whether this pass can serve <paramref name="needs"/> at <paramref name="layer"/>.</summary>
    public bool Serves(string? layer, MethodRequirements needs)
    {
        var layerOk = (needs & MethodRequirements.LayerActivations) == 0 || string.Equals(layer, Layer, StringComparison.Ordinal);
        return layerOk && (Spec.Needs & needs) == needs;
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
        InputValidation.CheckInput(input, model.Module);
        var spec = PassSpec.Create(model, layer, needs, evalMode);
        var module = model.Module;
        lock (ModelSession.LockOf(module))
        {
            var gates = new ReluGateState { CopyOutputs = s_copyingGates.TryGetValue(module, out _) };
            try
            {
                return Attempt(spec, input, gates);
            }
            catch (GateOutputModifiedException)
            {
                // The model modifies a ReLU output in place, which a gate that returns its input as a view forbids:
                // gate this model with copies from now on (one extra copy per ReLU) and run again.
                s_copyingGates.AddOrUpdate(module, new object());
                gates.CopyOutputs = true;
                return Attempt(spec, input, gates);
            }
        }
    }

    /// <summary>The device a model's parameters live on (the input's when it has none).</summary>
    public static Device DeviceOf(IExplainable model, Tensor input) => ModelSession.DeviceAndType(model.Module, input).Device;

    /// <summary>
    /// The request's target, checked against the model's output: its <see cref="ExplainRequest.Target"/>, or the
    /// class logit of its classes (each item's argmax when none are given). Also the class per item (−1 when the target
    /// is not a class), owned by the pass.
    /// </summary>
    public (ExplanationTarget Target, Tensor Classes) ResolveTarget(ExplainRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Target is { } target)
        {
            if (request.Targets is not null)
            {
                throw new ArgumentException($"The request for '{request.Method}' gives both Target and Targets; give one.", nameof(request));
            }

            target.Validate(Logits);
            var classes = target.Classes is { } list
                ? tensor(list.ToArray(), dtype: ScalarType.Int64, device: Logits.device)
                : full(Logits.shape[0], -1L, dtype: ScalarType.Int64, device: Logits.device);
            return (target, Own(classes.DetachFromDisposeScope()));
        }

        InputValidation.CheckLogits(Logits, Input.shape[0], Model.Module);
        var resolved = Own(InputValidation.ResolveTargets(request.Targets, Logits).DetachFromDisposeScope());
        using var onCpu = resolved.cpu();
        return (new ClassTarget(onCpu.data<long>().ToArray()), resolved);
    }

    /// <summary><c>∂(Σ_b score_b)/∂A</c> at the captured layer. Owned by the pass.</summary>
    public Tensor LayerGradients(ExplanationTarget target)
    {
        if (_layerOutput is null || !_layerOutput.requires_grad)
        {
            throw new InvalidOperationException("This forward pass was not set up for layer gradients.");
        }

        var gradient = Gradient(target, _layerOutput, GradientMode.Plain, $"layer '{Layer}'");
        return Spec.Layout is null ? gradient : Own(Grid(gradient));
    }

    /// <summary><c>∂(Σ_n score_n)/∂x</c>. Owned by the pass.</summary>
    /// <param name="target">The target.</param>
    /// <param name="mode">How gradients cross the ReLUs; the pass must be set up for it.</param>
    /// <param name="items">For each input row, the batch item whose target scores it; <see langword="null"/>: row <c>n</c> is item <c>n</c>.</param>
    public Tensor InputGradients(ExplanationTarget target, GradientMode mode, Tensor? items = null)
    {
        if (_inputLeaf is null || !Spec.Supports(mode))
        {
            throw new InvalidOperationException($"This forward pass was not set up for {mode} input gradients.");
        }

        return Gradient(target, _inputLeaf, mode, "the input", items);
    }

    /// <summary>The target's score of every item <c>[B]</c>, without graph. Owned by the pass.</summary>
    public Tensor Scores(ExplanationTarget target)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        return Own(target.Score(Logits, arange(Logits.shape[0], device: Logits.device)).DetachFromDisposeScope());
    }

    /// <summary>A transformer layer's tokens as the grid <c>[B,C,h,w]</c> every CAM method works on; other layers' outputs as they are.</summary>
    private Tensor Grid(Tensor tokens) => Spec.Layout is { } layout ? layout.ToGrid(tokens).DetachFromDisposeScope() : tokens;

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

    /// <summary>One forward with hooks and gates; the caller holds the model's lock and retries with copying gates if asked.</summary>
    private static ForwardPass Attempt(PassSpec spec, Tensor input, ReluGateState gates)
    {
        var module = spec.Model.Module;
        using var scope = NewDisposeScope();
        var (device, dtype) = ModelSession.DeviceAndType(module, input);
        var x = input.to(dtype, device).detach();
        var inputLeaf = spec.InputGradients ? x.requires_grad_(true) : null;
        LayerCaptureHook? capture = null;
        var gateHooks = new List<IDisposable>();
        Tensor output;
        using (ModelSession.Eval(module, spec.EvalMode))
        using (torch.set_grad_enabled(spec.InputGradients))
        {
            try
            {
                if (spec.Deconvolution)
                {
                    gateHooks.AddRange(ReluModules(spec.Model).Select(relu => ReluInputGate.Attach(relu, gates)));
                }
                else if (spec.Guided)
                {
                    gateHooks.AddRange(ReluModules(spec.Model).Select(relu => ExplainableSupport.RegisterForwardHook(relu, (_, _, o) => ReluGate.Apply(o, gates))));
                }

                if (spec.Guided || spec.Deconvolution)
                {
                    gateHooks.AddRange(FunctionalReluBlocks(spec.Model).Select(block => ExplainableSupport.RegisterForwardHook(block, (_, _, o) => ReluGate.Apply(o, gates))));
                }

                capture = spec.LayerModule is null ? null : new LayerCaptureHook(spec.LayerModule, spec.LayerGradients, spec.RecordFromLayer);
                output = module.call(x);
            }
            catch (Exception e)
            {
                capture?.Activation?.Dispose();
                var translated = Translate(e, spec, gates, x);
                if (ReferenceEquals(translated, e))
                {
                    throw;
                }

                throw translated;
            }
            finally
            {
                gateHooks.ForEach(h => h.Dispose());
                capture?.Dispose();
            }
        }

        if (capture is { Calls: 0 })
        {
            throw new SaliencyException(
                $"Layer '{spec.Layer}' of {module.GetType().Name} did not run during forward, so nothing was captured. TorchSharp runs hooks only through call(): invoke the layer as {spec.Layer}.call(x), not {spec.Layer}.forward(x), and check that forward uses it.");
        }

        InputValidation.CheckOutput(output, x.shape[0], module);
        if (capture?.Activation is { } activation)
        {
            scope.Attach(activation);
        }

        var pass = new ForwardPass(spec, x, output, capture?.Activation, inputLeaf, gates);
        scope.Detach(pass._owned);
        return pass;
    }

    private static Exception Translate(Exception e, PassSpec spec, ReluGateState gates, Tensor x)
    {
        if ((spec.Guided || spec.Deconvolution) && !gates.CopyOutputs && e.Message.Contains(ReluGate.ViewModifiedInPlace, StringComparison.Ordinal))
        {
            return new GateOutputModifiedException(e);
        }

        return InputValidation.ForwardFailure(e, x, spec.Model.Module) ?? e;
    }

    private Tensor Gradient(ExplanationTarget target, Tensor wrt, GradientMode mode, string what, Tensor? items = null)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        using var scope = NewDisposeScope();
        using var recording = torch.enable_grad();
        var score = target.Score(_graphOutput, items ?? arange(_graphOutput.shape[0], device: _graphOutput.device)).sum();

        // torch.autograd.grad aborts the whole process on a libtorch error: rule out every case we know first.
        if (!score.requires_grad)
        {
            throw new SaliencyException(
                $"The scores explained from {Model.Module.GetType().Name}'s output do not depend on {what} through operations that record gradients; does its forward detach the output or run under no_grad?");
        }

        if (!wrt.requires_grad || wrt.IsInvalid)
        {
            throw new InvalidOperationException($"Internal error: the gradient target ({what}) does not record gradients.");
        }

        _gates.Mode = mode;
        var gradient = torch.autograd.grad([score], [wrt], retain_graph: true, allow_unused: true)[0];
        if (gradient is null || gradient.IsInvalid)
        {
            throw new SaliencyException($"The scores explained from {Model.Module.GetType().Name}'s output do not depend on {what}: the layer's output does not reach the explained score. Choose a layer on the path to the output.");
        }

        return Own(gradient.DetachFromDisposeScope());
    }

    private static IEnumerable<nn.Module<Tensor, Tensor>> ReluModules(IExplainable model)
    {
        foreach (var (_, module) in model.Module.named_modules())
        {
            if (module is ReLU relu)
            {
                yield return relu;
            }
        }
    }

    private static IEnumerable<nn.Module<Tensor, Tensor>> FunctionalReluBlocks(IExplainable model) => model.FunctionalReluOutputs.Select(model.GetLayer);

    /// <summary>A gate's output (a view of the ReLU output) was modified in place; the pass is retried with copying gates.</summary>
    private sealed class GateOutputModifiedException(Exception inner) : Exception(inner.Message, inner);
}
