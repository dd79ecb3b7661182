using static TorchSharp.torch;

namespace Saliency;

/// <summary>
/// What an explanation explains: one score per batch item, computed from the model's output — the class logit
/// (<see cref="ClassTarget"/>, the common case), or anything else a model's output allows (a class summed over a
/// segmentation mask, the similarity of an embedding to a reference, a user function: <see cref="FromFunction"/>).
/// Gradient methods differentiate the scores' sum; perturbation methods compare scores.
/// </summary>
/// <remarks>
/// A target sees the output rows of the items it scores: <c>items</c> holds, for each row of <c>output</c>, the index
/// of the batch item that row belongs to (perturbation methods score many variants of each item). Scores must be
/// differentiable functions of <c>output</c>.
/// </remarks>
public abstract class ExplanationTarget
{
    /// <summary>
    /// Identifies the scores this target computes for one batch: two targets with the same key give the same
    /// gradients, which the host then computes once. Include every parameter (classes, mask, reference).
    /// </summary>
    public abstract string Key { get; }

    /// <summary>The class of every batch item when the target is a class of a classifier; <see langword="null"/> otherwise.</summary>
    public virtual IReadOnlyList<long>? Classes => null;

    /// <summary>Creates a target from a function <c>(output, items) → scores</c>.</summary>
    /// <param name="name">A name for messages and the cache key; give different functions different names.</param>
    /// <param name="score">The scores <c>[N]</c> of the output rows <c>[N,…]</c> belonging to batch items <c>items</c> <c>[N]</c>.</param>
    /// <returns>The target.</returns>
    public static ExplanationTarget FromFunction(string name, Func<Tensor, Tensor, Tensor> score) => new FunctionTarget(name, score);

    /// <summary>The score of every row of <paramref name="output"/>, <c>[N]</c>.</summary>
    /// <param name="output">The model's output for <c>N</c> inputs, <c>[N,…]</c>.</param>
    /// <param name="items">For each row, the index of the batch item it belongs to, <c>[N]</c> int64.</param>
    /// <returns>The scores, differentiable with respect to <paramref name="output"/>.</returns>
    public abstract Tensor Score(Tensor output, Tensor items);

    /// <summary>Checks that the model's output suits this target (before any backward pass); throws <see cref="SaliencyException"/> saying why not.</summary>
    /// <param name="output">The model's output for the explained batch.</param>
    public virtual void Validate(Tensor output)
    {
        ArgumentNullException.ThrowIfNull(output);
    }

    /// <inheritdoc />
    public override string ToString() => Key;

    private sealed class FunctionTarget(string name, Func<Tensor, Tensor, Tensor> score) : ExplanationTarget
    {
        public override string Key { get; } = $"function:{name}";

        public override Tensor Score(Tensor output, Tensor items) => score(output, items);
    }
}

/// <summary>The logit of one class per batch item: the score Grad-CAM, Guided Backprop and CAM explain by default.</summary>
public sealed class ClassTarget : ExplanationTarget
{
    private readonly long[] _classes;

    /// <summary>Creates the target.</summary>
    /// <param name="classes">One class index per batch item.</param>
    public ClassTarget(IReadOnlyList<long> classes)
    {
        ArgumentNullException.ThrowIfNull(classes);
        _classes = [.. classes];
        Key = $"class:{string.Join(",", _classes)}";
    }

    /// <inheritdoc />
    public override string Key { get; }

    /// <inheritdoc />
    public override IReadOnlyList<long> Classes => _classes;

    /// <inheritdoc />
    public override Tensor Score(Tensor output, Tensor items)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(items);
        using var scope = NewDisposeScope();
        var classes = tensor(_classes, dtype: ScalarType.Int64, device: output.device).index_select(0, items.to(output.device));
        return output.gather(1, classes.unsqueeze(1)).squeeze(1).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public override void Validate(Tensor output)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (output.dim() != 2 || output.shape[0] != _classes.Length)
        {
            throw new SaliencyException(
                $"A class target needs logits [B,classes] with B = {_classes.Length}; the model returned [{string.Join(",", output.shape)}]. Give the request an ExplanationTarget that scores this output.");
        }

        var classes = output.shape[1];
        for (var i = 0; i < _classes.Length; i++)
        {
            if (_classes[i] < 0 || _classes[i] >= classes)
            {
                throw new ArgumentOutOfRangeException(nameof(output), _classes[i], $"Target {_classes[i]} of item {i} is outside [0, {classes}): the model has {classes} classes.");
            }
        }
    }
}
