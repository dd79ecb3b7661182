using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using static TorchSharp.torch;

namespace Saliency;

/// <summary>Checks inputs and targets before any pass runs, so that errors are clear and never abort the process.</summary>
internal static partial class InputValidation
{
    public static void CheckInput(Tensor input, nn.Module model)
    {
        ArgumentNullException.ThrowIfNull(input);
        var name = model.GetType().Name;
        if (input.IsInvalid)
        {
            throw new ArgumentException("The input tensor has been disposed.", nameof(input));
        }

        if (input.dim() != 4)
        {
            var hint = input.dim() == 3 ? " For a single image [C,H,W], pass input.unsqueeze(0)." : string.Empty;
            throw new ArgumentException($"The input must be a batch [B,C,H,W]; got a {input.dim()}-D tensor {Shape(input)}.{hint}", nameof(input));
        }

        if (input.shape[0] == 0)
        {
            throw new ArgumentException($"The input batch is empty {Shape(input)}.", nameof(input));
        }

        if (!input.is_floating_point())
        {
            throw new ArgumentException($"The input must be a floating-point tensor; got {input.dtype}. Convert it, e.g. input.to(ScalarType.Float32) / 255.", nameof(input));
        }

        using var scope = NewDisposeScope();
        var bad = input.isfinite().logical_not().sum().item<long>();
        if (bad > 0)
        {
            throw new ArgumentException($"The input contains {bad} NaN or infinite value(s); check how the images were loaded and normalised.", nameof(input));
        }
    }

    public static Tensor ResolveTargets(IReadOnlyList<long>? targets, Tensor logits)
    {
        var batch = logits.shape[0];
        var classes = logits.shape[1];
        if (targets is null)
        {
            return logits.argmax(1);
        }

        if (targets.Count != batch)
        {
            throw new ArgumentException($"Got {targets.Count} target(s) for a batch of {batch}: give one target class per item, or none to explain each item's top class.", nameof(targets));
        }

        for (var i = 0; i < targets.Count; i++)
        {
            if (targets[i] < 0 || targets[i] >= classes)
            {
                throw new ArgumentOutOfRangeException(nameof(targets), targets[i], $"Target {targets[i]} of item {i} is outside [0, {classes}): the model has {classes} classes.");
            }
        }

        return tensor(targets.ToArray(), dtype: ScalarType.Int64, device: logits.device);
    }

    /// <summary>Any output works with an explanation target, as long as it has one row per input item.</summary>
    public static void CheckOutput(Tensor output, long batch, nn.Module model)
    {
        if (output.dim() == 0 || output.shape[0] != batch)
        {
            throw new SaliencyException(
                $"{model.GetType().Name} returned {Shape(output)}; explaining needs an output with one row per input item (first dimension B = {batch}).");
        }
    }

    /// <summary>Class targets need logits <c>[B,classes]</c>.</summary>
    public static void CheckLogits(Tensor logits, long batch, nn.Module model)
    {
        if (logits.dim() != 2 || logits.shape[0] != batch)
        {
            throw new SaliencyException(
                $"{model.GetType().Name} returned {Shape(logits)}; explaining needs logits [B,classes] with B = {batch} (one row of class scores per input item), or a request Target that scores this output.");
        }
    }

    public static string Shape(Tensor t) => $"[{string.Join(",", t.shape)}]";

    /// <summary>
    /// Turns a libtorch error raised by the model's forward into a clear error: a channel mismatch names both counts;
    /// anything else names the model, the input shape and libtorch's first line.
    /// </summary>
    /// <returns>The clearer exception, or <see langword="null"/> to let <paramref name="error"/> through unchanged.</returns>
    public static Exception? ForwardFailure(Exception error, Tensor input, nn.Module model)
    {
        var name = model.GetType().Name;
        var channels = ChannelMismatch().Match(error.Message);
        if (channels.Success)
        {
            return new ArgumentException(
                $"The input has {input.shape[1]} channel(s) {Shape(input)} but {name} expects {channels.Groups["expected"].Value}.",
                nameof(input),
                error);
        }

        return error is ExternalException
            ? new SaliencyException($"{name}'s forward failed on an input of shape {Shape(input)}: {error.Message.Split('\n')[0].Trim()}", error)
            : null;
    }

    // libtorch: "... expected input[2, 4, 32, 32] to have 3 channels, but got 4 channels instead";
    // TorchSharp: "Expected 3D (unbatched) or 4D (batched) input with 1 channels to Conv2d."
    [GeneratedRegex(@"to have (?<expected>\d+) channels, but got \d+ channels|input with (?<expected>\d+) channels to Conv")]
    private static partial Regex ChannelMismatch();
}
