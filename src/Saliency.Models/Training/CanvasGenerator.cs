namespace Saliency.Models.Training;

/// <summary>
/// Makes the demo's inputs from a Fashion-MNIST split: a black square canvas (96×96 unless told) holding two items of
/// different classes at random, non-overlapping places, each mirrored left-right with probability ½. Deterministic for
/// a seed.
/// </summary>
public sealed class CanvasGenerator
{
    /// <summary>The canvas side, the demo model's input size.</summary>
    public const int Side = 96;

    /// <summary>The smallest canvas: two items side by side with room to move.</summary>
    public const int MinimumSide = (2 * CanvasItem.Size) + 8;

    /// <summary>The side of the single-item canvases of <see cref="NextSingle"/>: a 28×28 item with up to 4 pixels of play.</summary>
    public const int SingleItemSide = CanvasItem.Size + 4;

    private const int PlacementAttempts = 1000;

    private readonly FashionMnist _split;
    private readonly Random _random;
    private readonly bool _mirror;

    /// <summary>Creates a generator over <paramref name="split"/>.</summary>
    /// <param name="split">The images to draw items from.</param>
    /// <param name="seed">The seed of the generator's <see cref="Random"/>.</param>
    /// <param name="mirror">Whether to mirror items at random (augmentation for training).</param>
    public CanvasGenerator(FashionMnist split, int seed, bool mirror)
    {
        ArgumentNullException.ThrowIfNull(split);
        _split = split;
        _random = new Random(seed);
        _mirror = mirror;
    }

    /// <summary>Makes the next canvas from two random images of different classes.</summary>
    /// <returns>The canvas.</returns>
    public Canvas Next() => Next(Side);

    /// <summary>Makes the next canvas, <paramref name="side"/> pixels square, from two random images of different classes.</summary>
    /// <param name="side">The canvas side, at least <see cref="MinimumSide"/> (the model is fully convolutional up to its pooling).</param>
    /// <returns>The canvas.</returns>
    public Canvas Next(int side)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(side, MinimumSide);
        var first = _random.Next(_split.Count);
        int second;
        do
        {
            second = _random.Next(_split.Count);
        }
        while (_split.Label(second) == _split.Label(first));

        return Compose(first, second, side);
    }

    /// <summary>Places images <paramref name="first"/> and <paramref name="second"/> of the split on a canvas.</summary>
    /// <param name="first">An image index.</param>
    /// <param name="second">An image index of another class.</param>
    /// <returns>The canvas.</returns>
    public Canvas Compose(int first, int second) => Compose(first, second, Side);

    /// <summary>Places images <paramref name="first"/> and <paramref name="second"/> of the split on a canvas of <paramref name="side"/> pixels.</summary>
    /// <param name="first">An image index.</param>
    /// <param name="second">An image index of another class.</param>
    /// <param name="side">The canvas side, at least <see cref="MinimumSide"/>.</param>
    /// <returns>The canvas.</returns>
    public Canvas Compose(int first, int second, int side)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(side, MinimumSide);
        CanvasItem a;
        CanvasItem? b;
        do
        {
            a = Place(_split.Label(first), null, side)!;
            b = Place(_split.Label(second), a, side);
        }
        while (b is null);

        var pixels = new float[side * side];
        Draw(pixels, side, first, a);
        Draw(pixels, side, second, b);
        return new Canvas(pixels, side, [a, b]);
    }

    /// <summary>Fills <paramref name="batch"/> (<c>B·96·96</c> floats) with canvases and <paramref name="targets"/> (<c>B·10</c>) with their 2-hot labels.</summary>
    /// <param name="batch">The pixel buffer, row-major per canvas.</param>
    /// <param name="targets">The target buffer.</param>
    public void NextBatch(Span<float> batch, Span<float> targets) => NextBatch(batch, targets, Side);

    /// <summary>Fills <paramref name="batch"/> (<c>B·side·side</c> floats) with canvases of <paramref name="side"/> pixels and <paramref name="targets"/> (<c>B·10</c>) with their 2-hot labels.</summary>
    /// <param name="batch">The pixel buffer, row-major per canvas.</param>
    /// <param name="targets">The target buffer.</param>
    /// <param name="side">The canvas side, at least <see cref="MinimumSide"/>.</param>
    public void NextBatch(Span<float> batch, Span<float> targets, int side) => FillBatch(batch, targets, side, Next);

    /// <summary>
    /// Makes a canvas, <paramref name="side"/> pixels square, holding one random item at a random place (mirrored at
    /// random when the generator mirrors): the cheapest way to show the network many items, since nearly every pixel
    /// of it is the item's.
    /// </summary>
    /// <param name="side">The canvas side, at least <see cref="CanvasItem.Size"/>.</param>
    /// <returns>The canvas, with one item.</returns>
    public Canvas NextSingle(int side)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(side, CanvasItem.Size);
        var index = _random.Next(_split.Count);
        var item = Place(_split.Label(index), null, side)!;
        var pixels = new float[side * side];
        Draw(pixels, side, index, item);
        return new Canvas(pixels, side, [item]);
    }

    /// <summary>Fills <paramref name="batch"/> (<c>B·side·side</c> floats) with single-item canvases of <see cref="NextSingle"/> and <paramref name="targets"/> (<c>B·10</c>) with their one-hot labels.</summary>
    /// <param name="batch">The pixel buffer, row-major per canvas.</param>
    /// <param name="targets">The target buffer.</param>
    /// <param name="side">The canvas side, at least <see cref="CanvasItem.Size"/>.</param>
    public void NextSingleBatch(Span<float> batch, Span<float> targets, int side) => FillBatch(batch, targets, side, NextSingle);

    /// <summary>Fills a batch with canvases from <paramref name="next"/> and their multi-hot labels.</summary>
    private static void FillBatch(Span<float> batch, Span<float> targets, int side, Func<int, Canvas> next)
    {
        var count = batch.Length / (side * side);
        targets.Clear();
        for (var i = 0; i < count; i++)
        {
            var canvas = next(side);
            canvas.Pixels.CopyTo(batch.Slice(i * side * side, side * side));
            foreach (var item in canvas.Items)
            {
                targets[(i * FashionGapNet.Classes) + item.Label] = 1;
            }
        }
    }

    /// <summary>
    /// A random place for an item that does not overlap <paramref name="other"/>, or <see langword="null"/> when
    /// <see cref="PlacementAttempts"/> draws found none: on small canvases a first item near the middle leaves no room
    /// at all, and the caller then places both again. (On 96×96 canvases a draw fits with probability ≥ 0.36, so the
    /// fallback never changes their seeded sequence in practice.)
    /// </summary>
    private CanvasItem? Place(int label, CanvasItem? other, int side)
    {
        for (var attempt = 0; attempt < PlacementAttempts; attempt++)
        {
            var item = new CanvasItem(label, _random.Next(side - CanvasItem.Size + 1), _random.Next(side - CanvasItem.Size + 1));
            if (other is null || !item.Overlaps(other))
            {
                return item;
            }
        }

        return null;
    }

    private void Draw(float[] pixels, int side, int index, CanvasItem item)
    {
        var source = _split.Pixels(index);
        var mirror = _mirror && _random.Next(2) == 1;
        for (var y = 0; y < CanvasItem.Size; y++)
        {
            for (var x = 0; x < CanvasItem.Size; x++)
            {
                var sx = mirror ? CanvasItem.Size - 1 - x : x;
                pixels[((item.Top + y) * side) + item.Left + x] = source[(y * CanvasItem.Size) + sx] / 255f;
            }
        }
    }
}
