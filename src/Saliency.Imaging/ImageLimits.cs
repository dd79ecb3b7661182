namespace Saliency.Imaging;

/// <summary>The largest image <see cref="ImageFile.Load"/> decodes; larger images are refused after reading only their header.</summary>
/// <param name="MaxWidth">The widest image accepted, in pixels.</param>
/// <param name="MaxHeight">The tallest image accepted, in pixels.</param>
/// <param name="MaxPixels">The most pixels (width × height) accepted.</param>
public sealed record ImageLimits(int MaxWidth, int MaxHeight, long MaxPixels)
{
    /// <summary>8192 × 8192 and 40 megapixels (a decoded 40 MP image takes 160 MB).</summary>
    public static ImageLimits Default { get; } = new(8192, 8192, 40_000_000);

    /// <summary>Why an image of this size is refused, or <see langword="null"/> when it is accepted.</summary>
    /// <param name="width">The width.</param>
    /// <param name="height">The height.</param>
    /// <returns>The reason, or <see langword="null"/>.</returns>
    public string? Refusal(int width, int height)
    {
        if (width > MaxWidth || height > MaxHeight)
        {
            return $"{width}×{height} exceeds the {MaxWidth}×{MaxHeight} limit";
        }

        return (long)width * height > MaxPixels ? $"{width}×{height} = {(long)width * height:N0} pixels exceeds the {MaxPixels:N0}-pixel limit" : null;
    }
}
