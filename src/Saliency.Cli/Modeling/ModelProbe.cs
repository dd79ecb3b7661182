using static TorchSharp.torch;

namespace Saliency.Cli.Modeling;

/// <summary>
/// Runs the model once on a zero image before any file is read, so that what is wrong with the whole run is said once
/// and plainly: a forward that throws (naming the model), outputs that are not finite, a layer that is not spatial for
/// a layer method (listing the layers that are), labels that do not match the class count, an output that is not what
/// the run needs (logits, a segmentation map for <c>--mask</c>, an embedding for <c>--similar-to</c>).
/// </summary>
internal static class ModelProbe
{
    /// <summary>
    /// The shape of the model's output without the batch dimension (<c>[classes]</c>, <c>[classes,H,W]</c> or
    /// <c>[D]</c>), after checking that it is the <paramref name="kind"/> of output the run needs and
    /// <paramref name="layer"/> against <paramref name="methods"/>.
    /// </summary>
    /// <exception cref="SaliencyException">The model fails, gives non-finite or unsuitable outputs, or the layer cannot be explained.</exception>
    public static long[] Run(LoadedModel model, string layer, IReadOnlyList<MethodDescriptor> methods, ModelOutputKind kind = ModelOutputKind.Classes)
    {
        using var scope = NewDisposeScope();
        var (output, activations) = Forward(model, Zeros(model), layer);
        CheckKind(model, output, kind);
        if (!output.isfinite().all().item<bool>())
        {
            throw new SaliencyException($"Model {model.Name} returns NaN or infinite logits on a black image: check its weights (--weights) and --mean/--std.");
        }

        var layerMethods = methods.Where(m => (m.Requirements & MethodRequirements.LayerActivations) != 0).Select(m => m.Id).ToList();
        if (layerMethods.Count > 0 && !IsSpatial(model, layer, activations))
        {
            var spatial = model.Explainable.Layers.Select(l => l.Name).Where(name => name != layer && IsSpatial(model, name, null)).ToList();
            var list = spatial.Count == 0 ? "none" : string.Join(", ", spatial);
            var shape = activations is null ? "nothing (it never ran)" : Shape(activations);
            throw new SaliencyException(
                $"Layer '{layer}' of {model.Name} outputs {shape}, not a spatial map [B,C,H,W]: {string.Join(", ", layerMethods)} {(layerMethods.Count == 1 ? "needs" : "need")} one. Spatial layers: {list}.");
        }

        var classes = (int)output.shape[1];
        if (kind != ModelOutputKind.Embedding && model.Labels.Count > 0 && model.Labels.Count != classes)
        {
            throw new SaliencyException($"The labels have {model.Labels.Count} name(s), but {model.Name} has {classes} classes: give one name per class, in class order (--labels).");
        }

        return [.. output.shape.Skip(1)];
    }

    /// <summary>
    /// The model's output for <paramref name="input"/>, whatever its shape, from one forward pass without gradients, and
    /// the output of <paramref name="layer"/> when one is named (<see langword="null"/> if it never ran). Both belong to
    /// the caller's dispose scope; the model's own failure is one message naming it (<see cref="Guard"/>).
    /// </summary>
    public static (Tensor Output, Tensor? Activations) Forward(LoadedModel model, Tensor input, string? layer = null)
    {
        using var scope = NewDisposeScope();
        var parameter = model.Explainable.Module.parameters().FirstOrDefault();
        var x = parameter is null ? input : input.to(parameter.is_floating_point() ? parameter.dtype : input.dtype, parameter.device);
        Tensor? activations = null;
        var output = Guard(model, () =>
        {
            using var noGrad = no_grad();
            using var hook = layer is null ? null : ExplainableSupport.RegisterForwardHook(model.Explainable.GetLayer(layer), (_, _, o) =>
            {
                activations?.Dispose();
                activations = o.detach().clone().DetachFromDisposeScope();
                return null;
            });
            return model.Explainable.Module.call(x);
        });
        if (activations is not null)
        {
            scope.Attach(activations);
        }

        return (output.MoveToOuterDisposeScope(), activations?.MoveToOuterDisposeScope());
    }

    /// <summary>Refuses an output that is not the kind the run needs, naming the option, the model and its output.</summary>
    private static void CheckKind(LoadedModel model, Tensor output, ModelOutputKind kind)
    {
        switch (kind)
        {
            case ModelOutputKind.Classes when output.dim() != 2:
                var hint = output.dim() == 4 ? " For a segmentation model give --mask MASK.png." : string.Empty;
                throw new SaliencyException($"Model {model.Name} returns {Shape(output)}; explaining classes needs logits [B,classes].{hint}");
            case ModelOutputKind.Segmentation when output.dim() != 4:
                throw new SaliencyException($"--mask needs a segmentation model whose output is [B,classes,H,W]; {model.Name} returns {Shape(output)}.");
            case ModelOutputKind.Embedding when output.dim() != 2:
                throw new SaliencyException($"--similar-to needs an embedding model whose output is [B,D]; {model.Name} returns {Shape(output)}.");
        }
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
                activations = Forward(model, Zeros(model), layer).Activations;
                return activations is not null && IsSpatial(model, layer, activations);
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

/// <summary>The kind of output a run of <c>explain</c> needs.</summary>
internal enum ModelOutputKind
{
    /// <summary>Logits <c>[B,classes]</c> (a classifier).</summary>
    Classes,

    /// <summary>Class scores per pixel <c>[B,classes,H,W]</c> (a segmentation model, <c>--mask</c>).</summary>
    Segmentation,

    /// <summary>An embedding <c>[B,D]</c> (<c>--similar-to</c>).</summary>
    Embedding,
}
