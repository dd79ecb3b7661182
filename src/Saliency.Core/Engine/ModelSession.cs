using System.Runtime.CompilerServices;
using TorchSharp;
using static TorchSharp.torch;

namespace Saliency;

/// <summary>
/// What every pass over a model shares: one lock per model (hooks and train/eval flags live on the shared modules,
/// so two passes on one model must not overlap; passes on different models run in parallel), eval mode for the
/// length of a pass with the flags restored afterwards, the model's device and dtype, and plain forwards without
/// gradients (predictions, perturbation methods, a layer's output replaced).
/// </summary>
internal static class ModelSession
{
    private static readonly ConditionalWeakTable<nn.Module, object> s_locks = [];

    /// <summary>The lock that serialises passes over <paramref name="module"/>.</summary>
    public static object LockOf(nn.Module module) => s_locks.GetValue(module, _ => new object());

    /// <summary>Puts the model in eval mode (when asked) until the returned scope is disposed, then restores every module's flag.</summary>
    public static IDisposable Eval(nn.Module module, bool evalMode) => evalMode ? EvalScope.Enter(module) : EvalScope.None;

    /// <summary>The device and dtype of the model's parameters (the input's when it has none).</summary>
    public static (Device Device, ScalarType Type) DeviceAndType(nn.Module module, Tensor input)
    {
        foreach (var parameter in module.parameters())
        {
            return (parameter.device, parameter.dtype);
        }

        return (input.device, input.dtype);
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

    /// <summary>Runs the model on <paramref name="input"/> without gradients and returns its output (in the caller's dispose scope).</summary>
    /// <param name="model">The model.</param>
    /// <param name="input">A batch; moved to the model's device and dtype.</param>
    /// <param name="evalMode">Whether to run in eval mode (flags restored afterwards).</param>
    /// <param name="layer">A layer whose output is replaced, with <paramref name="replacement"/>; <see langword="null"/> for a plain forward.</param>
    /// <param name="replacement">
    /// The layer's output to use instead of its own: one row per input row, or many rows for a single input row (the
    /// layers after it then run on every replacement row, while everything before it ran once).
    /// </param>
    /// <param name="layout">When the layer outputs tokens, how they lie on the image: <paramref name="replacement"/> is then given as grids <c>[R,C,h,w]</c>.</param>
    public static Tensor Predict(IExplainable model, Tensor input, bool evalMode, nn.Module<Tensor, Tensor>? layer = null, Tensor? replacement = null, TokenLayout? layout = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(input);
        var module = model.Module;
        lock (LockOf(module))
        {
            using var scope = NewDisposeScope();
            var (device, dtype) = DeviceAndType(module, input);
            var replaced = 0;
            if (layer is not null)
            {
                ArgumentNullException.ThrowIfNull(replacement);
            }

            using var hook = layer is null ? null : ExplainableSupport.RegisterForwardHook(layer, (_, _, output) =>
            {
                var rows = layout is null ? replacement! : layout.ToTokens(replacement!, output);
                // One input row may fan out into many replacement rows (variants of one item's layer output).
                var fansOut = output.shape[0] == 1 && output.shape.Skip(1).SequenceEqual(rows.shape.Skip(1));
                if (!fansOut && !output.shape.SequenceEqual(rows.shape))
                {
                    throw new ArgumentException($"The replacement layer output has shape [{string.Join(",", rows.shape)}], but the layer returned [{string.Join(",", output.shape)}].");
                }

                replaced++;
                return rows.to(output.dtype, output.device);
            });
            using var eval = Eval(module, evalMode);
            try
            {
                using var noGrad = no_grad();
                var output = module.call(input.to(dtype, device));
                if (layer is not null && replaced == 0)
                {
                    throw new SaliencyException($"The layer whose output was to be replaced did not run during {module.GetType().Name}'s forward (TorchSharp runs hooks only through call()).");
                }

                return output.MoveToOuterDisposeScope();
            }
            catch (Exception e) when (InputValidation.ForwardFailure(e, input, module) is { } clearer)
            {
                throw clearer;
            }
        }
    }

    /// <summary>The train/eval flags of a module tree, restored on dispose.</summary>
    private sealed class EvalScope : IDisposable
    {
        private readonly List<(nn.Module Module, bool Training)> _modes;

        private EvalScope(List<(nn.Module Module, bool Training)> modes) => _modes = modes;

        public static IDisposable None { get; } = new EvalScope([]);

        public static IDisposable Enter(nn.Module module)
        {
            var modes = new List<(nn.Module, bool)> { (module, module.training) };
            modes.AddRange(module.named_modules().Where(m => m.name.Length > 0).Select(m => (m.module, m.module.training)));
            if (!modes.Any(m => m.Item2))
            {
                return None;
            }

            module.eval();
            return new EvalScope(modes);
        }

        public void Dispose()
        {
            // Pre-order: a parent's train(flag) reaches its children, which then set their own flag again.
            foreach (var (module, training) in _modes)
            {
                if (module.training != training)
                {
                    module.train(training);
                }
            }
        }
    }
}
