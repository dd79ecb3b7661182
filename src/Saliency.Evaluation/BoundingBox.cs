namespace Saliency.Evaluation;

/// <summary>An axis-aligned box in pixel coordinates, <see cref="X1"/> and <see cref="Y1"/> exclusive.</summary>
/// <param name="X0">The first column inside the box.</param>
/// <param name="Y0">The first row inside the box.</param>
/// <param name="X1">The first column past the box.</param>
/// <param name="Y1">The first row past the box.</param>
public readonly record struct BoundingBox(int X0, int Y0, int X1, int Y1)
{
    /// <summary>The box's width in pixels (0 when empty).</summary>
    public int Width => Math.Max(0, X1 - X0);

    /// <summary>The box's height in pixels (0 when empty).</summary>
    public int Height => Math.Max(0, Y1 - Y0);

    /// <summary>The number of pixels in the box.</summary>
    public long Area => (long)Width * Height;

    /// <summary>Whether pixel (<paramref name="x"/>, <paramref name="y"/>) lies in the box.</summary>
    /// <param name="x">Column.</param>
    /// <param name="y">Row.</param>
    /// <returns><see langword="true"/> when inside.</returns>
    public bool Contains(int x, int y) => x >= X0 && x < X1 && y >= Y0 && y < Y1;

    /// <summary>
    /// The Euclidean distance in pixels from pixel (<paramref name="x"/>, <paramref name="y"/>) to the nearest pixel of
    /// the box (0 inside).
    /// </summary>
    /// <param name="x">Column.</param>
    /// <param name="y">Row.</param>
    /// <returns>The distance.</returns>
    public double DistanceTo(int x, int y)
    {
        var dx = x < X0 ? X0 - x : x >= X1 ? x - (X1 - 1) : 0;
        var dy = y < Y0 ? Y0 - y : y >= Y1 ? y - (Y1 - 1) : 0;
        return Math.Sqrt(((double)dx * dx) + ((double)dy * dy));
    }

    /// <summary>Intersection over union with <paramref name="other"/> (0 when both are empty).</summary>
    /// <param name="other">The other box.</param>
    /// <returns>The IoU in <c>[0,1]</c>.</returns>
    public double IoU(BoundingBox other)
    {
        var intersection = new BoundingBox(Math.Max(X0, other.X0), Math.Max(Y0, other.Y0), Math.Min(X1, other.X1), Math.Min(Y1, other.Y1)).Area;
        var union = Area + other.Area - intersection;
        return union == 0 ? 0 : (double)intersection / union;
    }

    /// <inheritdoc />
    public override string ToString() => $"[{X0},{Y0})–[{X1},{Y1})";
}
