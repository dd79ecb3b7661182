using static TorchSharp.torch;

namespace Saliency;

/// <summary>
/// The explanation of a batch by one method. It owns its tensors: dispose it (or the tensors you keep) when done.
/// </summary>
public sealed class SaliencyResult : IDisposable
{
    private bool _disposed;

    /// <summary>Creates a result that takes ownership of its tensors (they are detached from any dispose scope).</summary>
    /// <param name="method">The method id.</param>
    /// <param name="layer">The explained layer, or <see langword="null"/> for methods that use none.</param>
    /// <param name="targets">The target class per item <c>[B]</c>, int64.</param>
    /// <param name="raw">The method's output before upsampling and normalisation.</param>
    /// <param name="map">The map <c>[B,H,W]</c> in <c>[0,1]</c>.</param>
    /// <param name="warnings">Caveats the user should see.</param>
    public SaliencyResult(string method, string? layer, Tensor targets, Tensor raw, Tensor map, IReadOnlyList<string>? warnings = null)
    {
        ArgumentNullException.ThrowIfNull(method);
        ArgumentNullException.ThrowIfNull(targets);
        ArgumentNullException.ThrowIfNull(raw);
        ArgumentNullException.ThrowIfNull(map);
        Method = method;
        Layer = layer;
        Targets = targets.DetachFromDisposeScope();
        Raw = raw.DetachFromDisposeScope();
        Map = map.DetachFromDisposeScope();
        Warnings = warnings ?? [];
    }

    /// <summary>The method id.</summary>
    public string Method { get; }

    /// <summary>The explained layer (<see langword="null"/> for methods that use none).</summary>
    public string? Layer { get; }

    /// <summary>The target class per item <c>[B]</c>, int64.</summary>
    public Tensor Targets { get; }

    /// <summary>
    /// The method's own output before upsampling and normalisation: <c>[B,h,w]</c> at layer resolution for the
    /// CAM family, <c>[B,C,H,W]</c> for gradient methods.
    /// </summary>
    public Tensor Raw { get; }

    /// <summary>The saliency map <c>[B,H,W]</c> in <c>[0,1]</c> at input resolution.</summary>
    public Tensor Map { get; }

    /// <summary>Caveats the user should see (empty when none).</summary>
    public IReadOnlyList<string> Warnings { get; }

    /// <summary>Disposes the tensors.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        Targets.Dispose();
        Raw.Dispose();
        Map.Dispose();
    }
}
