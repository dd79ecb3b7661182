using static TorchSharp.torch;

namespace Saliency.Cli.Modeling;

/// <summary>
/// Runs the model once on a zero image before any file is read, so that what is wrong with the whole run is said once
/// and plainly: a forward that throws (naming the model), outputs that are not finite, a layer that is not spatial for
/// a layer method (listing the layers that are), labels that do not match the class count.
/// </summary>
internal static class ModelProbe
{
    /// <summary>The model's class count, after checking <paramref name="layer"/> against <paramref name="methods"/>.</summary>
    /// <exception cref="SaliencyException">The model fails, gives non-finite outputs, or the layer cannot be explained.</exception>
    public static int Run(LoadedModel model, string layer, IReadOnlyList<MethodDescriptor> methods)
    {
        using var scope = NewDisposeScope();
        var input = Zeros(model);
        using var capture = Guard(model, () => SaliencyEngine.Capture(model.Explainable, input, layer, gradients: false, kernelCheck: KernelCheckMode.Off));
        if (capture.Logits.dim() != 2)
        {
            throw new SaliencyException($"Model {model.Name} returns {Shape(capture.Logits)}; explaining classes needs logits [B,classes].");
        }

        if (!capture.Logits.isfinite().all().item<bool>())
        {
            throw new SaliencyException($"Model {model.Name} returns NaN or infinite logits on a black image: check its weights (--weights) and --mean/--std.");
        }

        var layerMethods = methods.Where(m => (m.Requirements & MethodRequirements.LayerActivations) != 0).Select(m => m.Id).ToList();
        if (layerMethods.Count > 0 && !IsSpatial(model, layer, capture.Activations))
        {
            var spatial = model.Explainable.Layers.Select(l => l.Name).Where(name => name != layer && IsSpatial(model, name, null)).ToList();
            var list = spatial.Count == 0 ? "none" : string.Join(", ", spatial);
            throw new SaliencyException(
                $"Layer '{layer}' of {model.Name} outputs {Shape(capture.Activations)}, not a spatial map [B,C,H,W]: {string.Join(", ", layerMethods)} {(layerMethods.Count == 1 ? "needs" : "need")} one. Spatial layers: {list}.");
        }

        var classes = (int)capture.Logits.shape[1];
        if (model.Labels.Count > 0 && model.Labels.Count != classes)
        {
            throw new SaliencyException($"The labels have {model.Labels.Count} name(s), but {model.Name} has {classes} classes: give one name per class, in class order (--labels).");
        }

        return classes;
    }

    /// <summary>Runs a forward of the model; its own failure becomes one message naming the model.</summary>
    public static T Guard<T>(LoadedModel model, Func<T> forward)
    {
        try
        {
            return forward();
        }
        catch (Exception e) when (e is not (SaliencyException or OperationCanceledException or OutOfMemoryException))
        {
            var message = e.Message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? string.Empty;
            throw new SaliencyException($"Model {model.Name} failed on an input {Shape(model)}: {e.GetType().Name}: {message}", e);
        }
    }

    private static bool IsSpatial(LoadedModel model, string layer, Tensor? activations)
    {
        if (activations is null)
        {
            try
            {
                using var scope = NewDisposeScope();
                using var capture = SaliencyEngine.Capture(model.Explainable, Zeros(model), layer, gradients: false, kernelCheck: KernelCheckMode.Off);
                return IsSpatial(model, layer, capture.Activations);
            }
            catch (Exception e) when (e is not (OperationCanceledException or OutOfMemoryException))
            {
                return false;
            }
        }

        return activations.dim() == 4 || (activations.dim() == 3 && model.Explainable.GetTokenLayout(layer) is not null);
    }

    private static Tensor Zeros(LoadedModel model)
    {
        var device = model.Explainable.Module.parameters().FirstOrDefault()?.device ?? CPU;
        return zeros([1, model.Input.Channels, model.Input.Height, model.Input.Width], device: device);
    }

    private static string Shape(LoadedModel model) => $"[B,{model.Input.Channels},{model.Input.Height},{model.Input.Width}]";

    private static string Shape(Tensor t) => $"[B,{string.Join(",", t.shape.Skip(1))}]";
}
