using System.Globalization;
using System.Runtime.InteropServices;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Saliency;

/// <summary>The <see cref="IExplanationContext"/> of one method run on one request at one layer.</summary>
/// <param name="passes">The shared passes.</param>
/// <param name="request">The request.</param>
/// <param name="method">The method run in this context.</param>
/// <param name="usesLayer">Whether the method works at a layer (its result then names the layer).</param>
/// <param name="layer">The explained layer.</param>
/// <param name="target">The resolved target.</param>
/// <param name="classes">The class per item (−1 when the target is not a class), owned by the passes.</param>
/// <param name="invoke">Runs another method in a child context: (method id, parent) → result.</param>
internal sealed class ExplanationContext(
    SharedPasses passes,
    ExplainRequest request,
    string method,
    bool usesLayer,
    string layer,
    ExplanationTarget target,
    Tensor classes,
    Func<string, ExplanationContext, SaliencyResult> invoke) : IExplanationContext
{
    private readonly List<string> _warnings = [];

    public IExplainable Model => passes.Pass.Model;

    public ExplainRequest Request { get; } = request;

    public string Method { get; } = method;

    public string Layer { get; } = layer;

    public Device Device => passes.Pass.Input.device;

    public Tensor Input => passes.Pass.Input;

    public long InputHeight => Input.shape[2];

    public long InputWidth => Input.shape[3];

    public Tensor Logits => passes.Pass.Logits;

    public Tensor Targets { get; } = classes;

    public ExplanationTarget Target { get; } = target;

    public Tensor Scores => passes.Cached($"scores:{Target.Key}", () => passes.Pass.Scores(Target));

    public CancellationToken CancellationToken => passes.Cancellation;

    public Tensor Activations => passes.For(Layer, MethodRequirements.LayerActivations).Activations!;

    public Tensor LayerGradients =>
        passes.Cached($"layer:{Layer}:{Target.Key}", () => passes.For(Layer, MethodRequirements.LayerGradients).LayerGradients(Target));

    public Linear ClassifierHead
    {
        get
        {
            if (Target.Classes is null)
            {
                throw new SaliencyException($"Method '{Method}' explains a class through the classifier head, but this request's target is '{Target.Key}'. Use a gradient method such as 'grad-cam'.");
            }

            return Model.ClassifierHead ?? throw new SaliencyException(
                $"{Model.Module.GetType().Name} has no classifier head: method '{Method}' needs the Linear that follows global average pooling of layer '{Layer}' (mark it [ClassifierHead], or pass classifierHead to ExplainableModule.Create). Use 'grad-cam' for models without one.");
        }
    }

    /// <summary>Warnings added by this method and by the methods it invoked.</summary>
    public IReadOnlyList<string> Warnings => _warnings;

    public Tensor InputGradients(GradientMode mode)
    {
        var pass = passes.For(null, PassSpec.NeedsFor(mode));
        foreach (var warning in pass.WarningsFor(mode))
        {
            Warn(warning);
        }

        return passes.Cached($"input:{mode}:{Target.Key}", () => pass.InputGradients(Target, mode));
    }

    public Tensor InputGradientsAt(Tensor inputs, Tensor items, int chunkSize)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (inputs.dim() != Input.dim() || !inputs.shape.Skip(1).SequenceEqual(Input.shape.Skip(1)))
        {
            throw new ArgumentException($"Give inputs shaped like the batch's rows, [N,{string.Join(",", Input.shape.Skip(1))}]; got [{string.Join(",", inputs.shape)}].", nameof(inputs));
        }

        // One plain forward and backward per chunk, each a pass of its own under the model's lock (ForwardPass.Run):
        // the graph is recorded from a private leaf copy of the chunk, and the same checks guard autograd.grad.
        return Chunked(inputs, items, chunkSize, (rows, owners) =>
        {
            using var pass = ForwardPass.Run(Model, rows, null, MethodRequirements.InputGradients, passes.EvalMode);
            return pass.InputGradients(Target, GradientMode.Plain, owners).clone();
        });
    }

    public Tensor Forward(Tensor input) => ModelSession.Predict(Model, input, passes.EvalMode);

    public Tensor ScoreInputs(Tensor inputs, Tensor items, int chunkSize) =>
        Chunked(inputs, items, chunkSize, (rows, owners) => Target.Score(ModelSession.Predict(Model, rows, passes.EvalMode), owners));

    public Tensor ScoreLayerOutputs(Tensor layerOutputs, Tensor items, int chunkSize)
    {
        ArgumentNullException.ThrowIfNull(layerOutputs);
        ArgumentNullException.ThrowIfNull(items);
        var layerModule = Model.GetLayer(Layer);
        using var onCpu = items.to(ScalarType.Int64, CPU);
        var owners = onCpu.data<long>().ToArray();
        if (owners.Length != layerOutputs.shape[0])
        {
            throw new ArgumentException($"Give one batch item per row: {layerOutputs.shape[0]} row(s), {owners.Length} item(s).", nameof(items));
        }

        // Rows of one item share everything before the layer: run that part once per chunk, for the item alone, and let
        // the layer's output fan out into the rows (about 4× cheaper at resnet's layer4). A model that cannot broadcast
        // tensors from before the layer against the fanned-out rows gets one input row per replacement row instead.
        var scores = new List<Tensor>();
        for (var start = 0; start < owners.Length;)
        {
            var end = start;
            while (end < owners.Length && owners[end] == owners[start])
            {
                end++;
            }

            scores.Add(Chunked(layerOutputs.narrow(0, start, end - start), items.narrow(0, start, end - start), chunkSize, (rows, rowOwners) =>
                FanOut(layerModule, rows, rowOwners) ?? Target.Score(ModelSession.Predict(Model, Input.index_select(0, rowOwners), passes.EvalMode, layerModule, rows, Model.GetTokenLayout(Layer)), rowOwners)));
            start = end;
        }

        return scores.Count == 1 ? scores[0] : cat(scores, 0);
    }

    public SaliencyResult Invoke(string method)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(method);
        var result = invoke(method, this);
        foreach (var warning in result.Warnings)
        {
            Warn(warning);
        }

        return result;
    }

    /// <summary>A context for <paramref name="method"/> on the same passes, request, layer and target.</summary>
    public ExplanationContext Child(string method, bool usesLayer) => new(passes, Request, method, usesLayer, Layer, Target, Targets, invoke);

    public string GetOption(string key, string defaultValue) =>
        Request.Options.TryGetValue(key, out var value) ? value : defaultValue;

    public T GetOption<T>(string key, T defaultValue)
        where T : IParsable<T>
    {
        if (!Request.Options.TryGetValue(key, out var text))
        {
            return defaultValue;
        }

        return T.TryParse(text, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new ArgumentException($"Option '{key}' of method '{Method}' must be a value of type {typeof(T).Name}; got '{text}'.", nameof(key));
    }

    public void Warn(string message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (!_warnings.Contains(message))
        {
            _warnings.Add(message);
        }
    }

    public SaliencyResult Result(Tensor raw, Tensor map) =>
        new(Method, usesLayer ? Layer : null, Targets.clone(), raw, map, [.. _warnings]);

    /// <summary>The scores of replacement rows that all belong to one item, with the layers before run once; <see langword="null"/> when the model cannot.</summary>
    private Tensor? FanOut(nn.Module<Tensor, Tensor> layer, Tensor rows, Tensor owners)
    {
        if (rows.shape[0] < 2)
        {
            return null;
        }

        try
        {
            var output = ModelSession.Predict(Model, Input.index_select(0, owners.narrow(0, 0, 1)), passes.EvalMode, layer, rows, Model.GetTokenLayout(Layer));
            return output.shape[0] == rows.shape[0] ? Target.Score(output, owners) : null;
        }
        catch (Exception e) when (e is ExternalException or ArgumentException or SaliencyException)
        {
            return null;
        }
    }

    /// <summary>
    /// Runs rows chunk by chunk under <c>no_grad</c> (a pass that records gradients turns them on for itself),
    /// checking for cancellation between chunks; each chunk's intermediate tensors are freed before the next.
    /// </summary>
    private Tensor Chunked(Tensor rows, Tensor items, int chunkSize, Func<Tensor, Tensor, Tensor> score)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(items);
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkSize, 1);
        if (items.dim() != 1 || items.shape[0] != rows.shape[0])
        {
            throw new ArgumentException($"Give one batch item per row: {rows.shape[0]} row(s), items of shape [{string.Join(",", items.shape)}].", nameof(items));
        }

        var owners = items.to(ScalarType.Int64, Device);
        var scores = new List<Tensor>();
        using var noGrad = no_grad();
        for (long start = 0; start < rows.shape[0]; start += chunkSize)
        {
            CancellationToken.ThrowIfCancellationRequested();
            using var scope = NewDisposeScope();
            var length = Math.Min(chunkSize, rows.shape[0] - start);
            scores.Add(score(rows.narrow(0, start, length), owners.narrow(0, start, length)).MoveToOuterDisposeScope());
        }

        return scores.Count == 1 ? scores[0] : cat(scores, 0);
    }
}
