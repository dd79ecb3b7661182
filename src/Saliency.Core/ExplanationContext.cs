using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Saliency;

/// <summary>
/// The passes shared by every request explained from one forward pass: the pass itself, gradients cached by
/// (targets, kind) so that methods asking for the same gradient share one backward, and extra passes for methods
/// that need more than their descriptor declared.
/// </summary>
internal sealed class SharedPasses : IDisposable
{
    private readonly Dictionary<string, Tensor> _gradients = new(StringComparer.Ordinal);
    private readonly List<ForwardPass> _extra = [];

    public SharedPasses(ForwardPass pass, bool evalMode)
    {
        Pass = pass;
        EvalMode = evalMode;
    }

    public ForwardPass Pass { get; }

    public bool EvalMode { get; }

    /// <summary>A pass serving <paramref name="needs"/> at <paramref name="layer"/>: the shared one, or an extra one.</summary>
    public ForwardPass For(string? layer, MethodRequirements needs)
    {
        if (Pass.Serves(layer, needs))
        {
            return Pass;
        }

        foreach (var extra in _extra)
        {
            if (extra.Serves(layer, needs))
            {
                return extra;
            }
        }

        var pass = ForwardPass.Run(Pass.Model, Pass.Input, layer, needs, EvalMode);
        _extra.Add(pass);
        return pass;
    }

    public Tensor Gradient(string key, Func<Tensor> compute)
    {
        if (!_gradients.TryGetValue(key, out var gradient))
        {
            gradient = compute();
            _gradients[key] = gradient;
        }

        return gradient;
    }

    public void Dispose()
    {
        foreach (var extra in _extra)
        {
            extra.Dispose();
        }

        Pass.Dispose();
    }
}

/// <summary>The <see cref="IExplanationContext"/> of one method run on one request.</summary>
internal sealed class ExplanationContext : IExplanationContext
{
    private readonly SharedPasses _passes;
    private readonly Func<string, ExplanationContext, SaliencyResult> _invoke;
    private readonly List<string> _warnings = [];
    private readonly string _targetsKey;

    private readonly bool _usesLayer;

    /// <summary>Creates the context.</summary>
    /// <param name="passes">The shared passes.</param>
    /// <param name="request">The request.</param>
    /// <param name="method">The method run in this context.</param>
    /// <param name="usesLayer">Whether the method works at a layer (its result then names the layer).</param>
    /// <param name="layer">The explained layer.</param>
    /// <param name="targets">The resolved targets, owned by the passes.</param>
    /// <param name="invoke">Runs another method in a child context: (method id, parent) → result.</param>
    public ExplanationContext(SharedPasses passes, ExplainRequest request, string method, bool usesLayer, string layer, Tensor targets, Func<string, ExplanationContext, SaliencyResult> invoke)
    {
        _passes = passes;
        _invoke = invoke;
        _usesLayer = usesLayer;
        Request = request;
        Method = method;
        Layer = layer;
        Targets = targets;
        _targetsKey = string.Join(",", ToArray(targets));
    }

    public IExplainable Model => _passes.Pass.Model;

    public ExplainRequest Request { get; }

    public string Method { get; }

    public string Layer { get; }

    public Device Device => _passes.Pass.Input.device;

    public Tensor Input => _passes.Pass.Input;

    public long InputHeight => Input.shape[2];

    public long InputWidth => Input.shape[3];

    public Tensor Logits => _passes.Pass.Logits;

    public Tensor Targets { get; }

    public Tensor Activations => _passes.For(Layer, MethodRequirements.LayerActivations).Activations!;

    public Tensor LayerGradients =>
        _passes.Gradient($"layer:{Layer}:{_targetsKey}", () => _passes.For(Layer, MethodRequirements.LayerGradients).LayerGradients(Targets));

    public Linear ClassifierHead => Model.ClassifierHead ?? throw new SaliencyException(
        $"{Model.Module.GetType().Name} has no classifier head: method '{Method}' needs the Linear that follows global average pooling of layer '{Layer}' (mark it [ClassifierHead], or pass classifierHead to ExplainableModule.Create). Use 'grad-cam' for models without one.");

    /// <summary>Warnings added by this method and by the methods it invoked.</summary>
    public IReadOnlyList<string> Warnings => _warnings;

    public Tensor InputGradients(GradientMode mode)
    {
        var needs = mode == GradientMode.Guided ? MethodRequirements.GuidedRelu : MethodRequirements.InputGradients;
        var pass = _passes.For(null, needs);
        if (mode == GradientMode.Guided)
        {
            foreach (var warning in pass.Warnings)
            {
                Warn(warning);
            }
        }

        return _passes.Gradient($"input:{mode}:{_targetsKey}", () => pass.InputGradients(Targets, mode));
    }

    public Tensor Forward(Tensor input) => ForwardPass.Predict(Model, input, _passes.EvalMode);

    public SaliencyResult Invoke(string method)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(method);
        var result = _invoke(method, this);
        foreach (var warning in result.Warnings)
        {
            Warn(warning);
        }

        return result;
    }

    /// <summary>A context for <paramref name="method"/> on the same passes, request, layer and targets.</summary>
    public ExplanationContext Child(string method, bool usesLayer) => new(_passes, Request, method, usesLayer, Layer, Targets, _invoke);

    public string GetOption(string key, string defaultValue) =>
        Request.Options.TryGetValue(key, out var value) ? value : defaultValue;

    public void Warn(string message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (!_warnings.Contains(message))
        {
            _warnings.Add(message);
        }
    }

    private static long[] ToArray(Tensor targets)
    {
        if (targets.device_type == TorchSharp.DeviceType.CPU)
        {
            return targets.data<long>().ToArray();
        }

        using var onCpu = targets.cpu();
        return onCpu.data<long>().ToArray();
    }

    public SaliencyResult Result(Tensor raw, Tensor map) =>
        new(Method, _usesLayer ? Layer : null, Targets.clone(), raw, map, [.. _warnings]);
}
