using System.Globalization;
using static TorchSharp.torch;

namespace Saliency;

/// <summary>The softmax probability of one class per batch item (logits <c>[B,classes]</c>): explains a class against the others.</summary>
public sealed class ClassProbabilityTarget : ExplanationTarget
{
    private readonly ClassTarget _classes;

    /// <summary>Creates the target.</summary>
    /// <param name="classes">One class index per batch item.</param>
    public ClassProbabilityTarget(IReadOnlyList<long> classes)
    {
        _classes = new ClassTarget(classes);
        Key = $"probability:{string.Join(",", _classes.Classes)}";
    }

    /// <inheritdoc />
    public override string Key { get; }

    /// <inheritdoc />
    public override IReadOnlyList<long> Classes => _classes.Classes;

    /// <inheritdoc />
    public override Tensor Score(Tensor output, Tensor items)
    {
        ArgumentNullException.ThrowIfNull(output);
        using var scope = NewDisposeScope();
        return _classes.Score(output.softmax(1), items).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public override void Validate(Tensor output) => _classes.Validate(output);
}

/// <summary>
/// A class of a segmentation model summed over a mask (pytorch-grad-cam's SemanticSegmentationTarget): for outputs
/// <c>[B,classes,H,W]</c>, the score of item <c>b</c> is <c>Σ_ij output[b,c,i,j]·mask[i,j]</c>. A mask that covers one
/// object explains that object.
/// </summary>
public sealed class SegmentationTarget : ExplanationTarget
{
    private static int s_instances;
    private readonly Tensor _mask;

    /// <summary>Creates the target.</summary>
    /// <param name="class">The class channel of the output.</param>
    /// <param name="mask">Weights <c>[H,W]</c> (the same for every item) or <c>[B,H,W]</c> (one per item), e.g. 0/1.</param>
    public SegmentationTarget(long @class, Tensor mask)
    {
        ArgumentNullException.ThrowIfNull(mask);
        if (mask.dim() is not (2 or 3))
        {
            throw new ArgumentException($"The mask must be [H,W] or [B,H,W]; got [{string.Join(",", mask.shape)}].", nameof(mask));
        }

        Class = @class;
        _mask = mask;
        Key = string.Create(CultureInfo.InvariantCulture, $"segmentation:{@class}:#{Interlocked.Increment(ref s_instances)}");
    }

    /// <summary>The class channel.</summary>
    public long Class { get; }

    /// <inheritdoc />
    public override string Key { get; }

    /// <inheritdoc />
    public override Tensor Score(Tensor output, Tensor items)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(items);
        using var scope = NewDisposeScope();
        var mask = _mask.to(output.dtype, output.device);
        var weights = mask.dim() == 2 ? mask.unsqueeze(0) : mask.index_select(0, items.to(output.device));
        return (output.select(1, Class) * weights).sum([1, 2]).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public override void Validate(Tensor output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var spatial = _mask.shape[^2..];
        if (output.dim() != 4 || Class < 0 || Class >= output.shape[1] || output.shape[2] != spatial[0] || output.shape[3] != spatial[1]
            || (_mask.dim() == 3 && _mask.shape[0] != output.shape[0]))
        {
            throw new SaliencyException(
                $"A segmentation target for class {Class} with a mask [{string.Join(",", _mask.shape)}] needs an output [B,classes,H,W] with H,W = {spatial[0]},{spatial[1]} and more than {Class} classes; the model returned [{string.Join(",", output.shape)}].");
        }
    }
}

/// <summary>
/// The cosine similarity of an embedding to a reference (pytorch-grad-cam's SimilarityToConceptTarget): for outputs
/// <c>[B,D]</c>, what makes an item look like the reference — another image's embedding, or a concept's.
/// </summary>
public sealed class EmbeddingSimilarityTarget : ExplanationTarget
{
    private static int s_instances;
    private readonly Tensor _reference;

    /// <summary>Creates the target.</summary>
    /// <param name="reference">The reference embedding <c>[D]</c> (for every item) or <c>[B,D]</c> (one per item).</param>
    public EmbeddingSimilarityTarget(Tensor reference)
    {
        ArgumentNullException.ThrowIfNull(reference);
        if (reference.dim() is not (1 or 2))
        {
            throw new ArgumentException($"The reference must be [D] or [B,D]; got [{string.Join(",", reference.shape)}].", nameof(reference));
        }

        _reference = reference;
        Key = string.Create(CultureInfo.InvariantCulture, $"similarity:#{Interlocked.Increment(ref s_instances)}");
    }

    /// <inheritdoc />
    public override string Key { get; }

    /// <inheritdoc />
    public override Tensor Score(Tensor output, Tensor items)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(items);
        using var scope = NewDisposeScope();
        var reference = _reference.to(output.dtype, output.device);
        var rows = reference.dim() == 1 ? reference.unsqueeze(0).expand_as(output) : reference.index_select(0, items.to(output.device));
        return nn.functional.cosine_similarity(output, rows, 1).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public override void Validate(Tensor output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var dimensions = _reference.shape[^1];
        if (output.dim() != 2 || output.shape[1] != dimensions || (_reference.dim() == 2 && _reference.shape[0] != output.shape[0]))
        {
            throw new SaliencyException(
                $"An embedding-similarity target with a reference [{string.Join(",", _reference.shape)}] needs an output [B,{dimensions}]; the model returned [{string.Join(",", output.shape)}].");
        }
    }
}
