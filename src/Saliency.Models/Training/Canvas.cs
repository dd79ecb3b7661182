namespace Saliency.Models.Training;

/// <summary>An item placed on a canvas: its class and its 28×28 box (left, top in canvas pixels).</summary>
/// <param name="Label">The Fashion-MNIST class, 0–9.</param>
/// <param name="Left">The box's left column.</param>
/// <param name="Top">The box's top row.</param>
public sealed record CanvasItem(int Label, int Left, int Top)
{
    /// <summary>The box's side, in pixels.</summary>
    public const int Size = FashionMnist.Side;

    /// <summary>Whether this item's box and <paramref name="other"/>'s share a pixel.</summary>
    /// <param name="other">The other item.</param>
    /// <returns><see langword="true"/> when the boxes overlap.</returns>
    public bool Overlaps(CanvasItem other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return Left < other.Left + Size && other.Left < Left + Size && Top < other.Top + Size && other.Top < Top + Size;
    }

    /// <summary>Whether the pixel (<paramref name="x"/>, <paramref name="y"/>) lies in the box grown by <paramref name="margin"/> pixels on every side.</summary>
    /// <param name="x">Column.</param>
    /// <param name="y">Row.</param>
    /// <param name="margin">Pixels added on every side.</param>
    /// <returns><see langword="true"/> when inside.</returns>
    public bool Contains(double x, double y, int margin = 0) =>
        x >= Left - margin && x < Left + Size + margin && y >= Top - margin && y < Top + Size + margin;
}

/// <summary>A square grayscale canvas, black background, with its items.</summary>
/// <param name="Pixels">Row-major pixel values in <c>[0,1]</c>.</param>
/// <param name="Side">The canvas side in pixels.</param>
/// <param name="Items">The items, in the order they were placed.</param>
public sealed record Canvas(float[] Pixels, int Side, IReadOnlyList<CanvasItem> Items);
