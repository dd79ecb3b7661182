namespace Saliency.Evaluation;

/// <summary>A saliency map at image resolution: row-major values, larger meaning more relevant.</summary>
public sealed class SaliencyMap
{
    /// <summary>Wraps <paramref name="values"/> (row-major, <paramref name="width"/>·<paramref name="height"/> of them).</summary>
    /// <param name="values">The map's values; not copied.</param>
    /// <param name="width">Columns.</param>
    /// <param name="height">Rows.</param>
    public SaliencyMap(float[] values, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(values);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        if (values.Length != width * height)
        {
            throw new ArgumentException($"A {width}×{height} map needs {width * height} values, not {values.Length}.", nameof(values));
        }

        Values = values;
        Width = width;
        Height = height;
    }

    /// <summary>The values, row-major.</summary>
    public float[] Values { get; }

    /// <summary>Columns.</summary>
    public int Width { get; }

    /// <summary>Rows.</summary>
    public int Height { get; }

    /// <summary>The value at column <paramref name="x"/>, row <paramref name="y"/>.</summary>
    /// <param name="x">Column.</param>
    /// <param name="y">Row.</param>
    public float this[int x, int y] => Values[(y * Width) + x];

    /// <summary>The first pixel (in row-major order) holding the map's largest value.</summary>
    /// <returns>Its column and row.</returns>
    public (int X, int Y) ArgMax()
    {
        var best = 0;
        for (var i = 1; i < Values.Length; i++)
        {
            if (Values[i] > Values[best])
            {
                best = i;
            }
        }

        return (best % Width, best / Width);
    }

    /// <summary>The pixels ordered from most to least relevant (ties by row-major index, so the order is deterministic).</summary>
    /// <returns>Row-major pixel indices.</returns>
    public int[] RankDescending()
    {
        var order = Enumerable.Range(0, Values.Length).ToArray();
        var keys = Values.Select(v => float.IsNaN(v) ? float.NegativeInfinity : -v).ToArray();
        Array.Sort(keys, order);
        return StableTies(keys, order);
    }

    /// <summary>Array.Sort is unstable: restore row-major order inside runs of equal keys.</summary>
    private static int[] StableTies(float[] keys, int[] order)
    {
        var start = 0;
        for (var i = 1; i <= keys.Length; i++)
        {
            if (i == keys.Length || keys[i] != keys[start])
            {
                Array.Sort(order, start, i - start);
                start = i;
            }
        }

        return order;
    }
}
