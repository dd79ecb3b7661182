using System.ComponentModel;
using static TorchSharp.torch;

namespace Saliency;

/// <summary>
/// Helpers that generated <see cref="IExplainable"/> implementations and adapters call: layer resolution by
/// module path and hook registration. Not needed in user code.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class ExplainableSupport
{
    /// <summary>Resolves a dotted <c>named_modules()</c> path below <paramref name="root"/> to a hookable module.</summary>
    /// <param name="root">The model.</param>
    /// <param name="path">A module path such as <c>layer4.1.conv2</c>.</param>
    /// <param name="layers">The model's explainable layers, listed first in the error message.</param>
    /// <returns>The module at <paramref name="path"/>.</returns>
    /// <exception cref="UnknownLayerException">No module has that path.</exception>
    /// <exception cref="ArgumentException">The module does not map one tensor to one tensor, so it cannot be hooked.</exception>
    public static nn.Module<Tensor, Tensor> ResolvePath(nn.Module root, string path, IReadOnlyList<ExplainableLayer> layers)
    {
        ArgumentNullException.ThrowIfNull(root);
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(layers);
        foreach (var (name, module) in root.named_modules())
        {
            if (name.Length == 0 || !string.Equals(name, path, StringComparison.Ordinal))
            {
                continue;
            }

            return module as nn.Module<Tensor, Tensor>
                ?? throw new ArgumentException(
                    $"Layer '{path}' of {root.GetType().Name} is a {module.GetType().Name}, which does not map one Tensor to one Tensor, so its output cannot be captured; choose a module that returns a single Tensor.",
                    nameof(path));
        }

        throw new UnknownLayerException(path, ValidNames(root, layers), root.GetType().Name);
    }

    /// <summary>The names a user may pass: explainable layers first, then every hookable module path.</summary>
    /// <param name="root">The model.</param>
    /// <param name="layers">The model's explainable layers.</param>
    /// <returns>Distinct names in that order.</returns>
    public static IReadOnlyList<string> ValidNames(nn.Module root, IReadOnlyList<ExplainableLayer> layers)
    {
        ArgumentNullException.ThrowIfNull(root);
        ArgumentNullException.ThrowIfNull(layers);
        var names = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var layer in layers)
        {
            if (seen.Add(layer.Name))
            {
                names.Add(layer.Name);
            }
        }

        foreach (var (name, module) in root.named_modules())
        {
            if (name.Length > 0 && module is nn.Module<Tensor, Tensor> && seen.Add(name))
            {
                names.Add(name);
            }
        }

        return names;
    }

    /// <summary>Registers <paramref name="hook"/> as a forward hook on <paramref name="module"/>.</summary>
    /// <param name="module">The module to hook.</param>
    /// <param name="hook">The hook.</param>
    /// <returns>A handle that removes the hook when disposed (disposing twice is harmless).</returns>
    public static IDisposable RegisterForwardHook(nn.Module<Tensor, Tensor> module, LayerHook hook)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(hook);
        var remover = module.register_forward_hook((m, input, output) => hook(m, input, output)!);
        return new HookHandle(remover.remove);
    }

    /// <summary>Throws when an annotated member is still <see langword="null"/> at run time (not yet constructed).</summary>
    /// <typeparam name="TModule">The member's module type.</typeparam>
    /// <param name="module">The member's value.</param>
    /// <param name="layer">The layer name, for the message.</param>
    /// <param name="modelName">The model's type name, for the message.</param>
    /// <returns><paramref name="module"/>, never <see langword="null"/>.</returns>
    public static TModule NotNull<TModule>(TModule? module, string layer, string modelName)
        where TModule : class
        => module ?? throw new InvalidOperationException(
            $"Layer '{layer}' of {modelName} is null: construct the module (and call RegisterComponents()) before explaining the model.");

    private sealed class HookHandle(Action remove) : IDisposable
    {
        private Action? _remove = remove;

        public void Dispose() => Interlocked.Exchange(ref _remove, null)?.Invoke();
    }
}
