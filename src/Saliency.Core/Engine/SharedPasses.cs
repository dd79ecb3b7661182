using static TorchSharp.torch;

namespace Saliency;

/// <summary>
/// The passes shared by every request explained from one forward pass: the pass itself, gradients cached by
/// (target, kind) so that methods asking for the same gradient share one backward, and extra passes for methods
/// that need more than their descriptor declared.
/// </summary>
internal sealed class SharedPasses(ForwardPass pass, bool evalMode, CancellationToken cancellation) : IDisposable
{
    private readonly Dictionary<string, Tensor> _gradients = new(StringComparer.Ordinal);
    private readonly List<ForwardPass> _extra = [];

    public ForwardPass Pass { get; } = pass;

    public bool EvalMode { get; } = evalMode;

    public CancellationToken Cancellation { get; } = cancellation;

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

    /// <summary>The tensor cached under <paramref name="key"/> (a gradient, the scores), computed by <paramref name="compute"/> the first time.</summary>
    public Tensor Cached(string key, Func<Tensor> compute)
    {
        if (!_gradients.TryGetValue(key, out var gradient))
        {
            Cancellation.ThrowIfCancellationRequested();
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
