using static TorchSharp.torch;

namespace Saliency.Evaluation;

/// <summary>How a model's output becomes the score the faithfulness metrics follow.</summary>
public enum ScoreKind
{
    /// <summary>The target's softmax probability (single-label classifiers; RISE and Grad-CAM++ use it).</summary>
    Softmax,

    /// <summary>The target's sigmoid probability (multi-label classifiers, such as the demo model).</summary>
    Sigmoid,

    /// <summary>The target's raw logit (not a fraction; AUCs are then in logit units).</summary>
    Logit,
}

/// <summary>Scores batches of inputs for one target class with a model, in chunks, without gradients.</summary>
public sealed class ModelScorer
{
    private readonly Func<Tensor, Tensor> _forward;

    /// <summary>Creates a scorer.</summary>
    /// <param name="forward">The model's forward: <c>[N,C,H,W]</c> inputs to <c>[N,K]</c> logits.</param>
    /// <param name="kind">How logits become scores.</param>
    /// <param name="batchSize">Inputs per forward.</param>
    public ModelScorer(Func<Tensor, Tensor> forward, ScoreKind kind = ScoreKind.Softmax, int batchSize = 64)
    {
        ArgumentNullException.ThrowIfNull(forward);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        _forward = forward;
        Kind = kind;
        BatchSize = batchSize;
    }

    /// <summary>How logits become scores.</summary>
    public ScoreKind Kind { get; }

    /// <summary>Inputs per forward.</summary>
    public int BatchSize { get; }

    /// <summary>The number of inputs scored so far (what the metrics cost).</summary>
    public long Forwards { get; private set; }

    /// <summary>Scores images given as row-major <c>C·H·W</c> arrays for class <paramref name="target"/>.</summary>
    /// <param name="images">The inputs, each <c>channels·height·width</c> floats, already in the model's input space.</param>
    /// <param name="shape">The input's channels, height and width.</param>
    /// <param name="target">The class.</param>
    /// <returns>One score per input.</returns>
    public double[] Score(IReadOnlyList<float[]> images, (int Channels, int Height, int Width) shape, long target)
    {
        ArgumentNullException.ThrowIfNull(images);
        var scores = new double[images.Count];
        var size = shape.Channels * shape.Height * shape.Width;
        using var noGrad = no_grad();
        for (var start = 0; start < images.Count; start += BatchSize)
        {
            using var scope = NewDisposeScope();
            var count = Math.Min(BatchSize, images.Count - start);
            var buffer = new float[count * size];
            for (var i = 0; i < count; i++)
            {
                images[start + i].CopyTo(buffer, i * size);
            }

            var logits = _forward(tensor(buffer, [count, shape.Channels, shape.Height, shape.Width]));
            var scored = Kind switch
            {
                ScoreKind.Softmax => logits.softmax(1),
                ScoreKind.Sigmoid => logits.sigmoid(),
                _ => logits,
            };
            var column = scored[.., target].to_type(ScalarType.Float64).cpu().data<double>().ToArray();
            column.CopyTo(scores, start);
            Forwards += count;
        }

        return scores;
    }

    /// <summary>The highest-scoring class of each input.</summary>
    /// <param name="images">The inputs, each <c>channels·height·width</c> floats.</param>
    /// <param name="shape">The input's channels, height and width.</param>
    /// <returns>One class per input.</returns>
    public long[] TopClasses(IReadOnlyList<float[]> images, (int Channels, int Height, int Width) shape)
    {
        ArgumentNullException.ThrowIfNull(images);
        var size = shape.Channels * shape.Height * shape.Width;
        var buffer = new float[images.Count * size];
        for (var i = 0; i < images.Count; i++)
        {
            images[i].CopyTo(buffer, i * size);
        }

        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var logits = _forward(tensor(buffer, [images.Count, shape.Channels, shape.Height, shape.Width]));
        Forwards += images.Count;
        return logits.argmax(1).cpu().data<long>().ToArray();
    }
}
