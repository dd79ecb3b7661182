namespace Saliency.Imaging;

/// <summary>
/// What a model takes as input: channel count, size and the per-channel normalisation applied to pixel values in
/// <c>[0,1]</c>, <c>x' = (x − mean) / std</c>.
/// </summary>
public sealed record InputSpec
{
    /// <summary>Creates a spec; <paramref name="mean"/> and <paramref name="std"/> hold one value per channel.</summary>
    /// <param name="channels">1 (grayscale) or 3 (RGB).</param>
    /// <param name="height">Input height in pixels.</param>
    /// <param name="width">Input width in pixels.</param>
    /// <param name="mean">Per-channel mean, subtracted from pixels in <c>[0,1]</c>.</param>
    /// <param name="std">Per-channel standard deviation, dividing the centred pixels; every value positive.</param>
    /// <exception cref="ArgumentException">A value is out of range or the lists do not have one value per channel.</exception>
    public InputSpec(int channels, int height, int width, IReadOnlyList<float> mean, IReadOnlyList<float> std)
    {
        ArgumentNullException.ThrowIfNull(mean);
        ArgumentNullException.ThrowIfNull(std);
        if (channels is not (1 or 3))
        {
            throw new ArgumentException($"Input channels must be 1 (grayscale) or 3 (RGB); got {channels}.", nameof(channels));
        }

        if (height <= 0 || width <= 0)
        {
            throw new ArgumentException($"Input size must be positive; got {width}×{height}.", nameof(height));
        }

        if (mean.Count != channels || std.Count != channels)
        {
            throw new ArgumentException($"Give one mean and one std per channel ({channels}); got {mean.Count} and {std.Count}.", nameof(mean));
        }

        if (std.Any(s => !(s > 0)))
        {
            throw new ArgumentException($"Every std must be positive; got [{string.Join(", ", std)}].", nameof(std));
        }

        Channels = channels;
        Height = height;
        Width = width;
        Mean = mean;
        Std = std;
    }

    /// <summary>1 (grayscale) or 3 (RGB).</summary>
    public int Channels { get; }

    /// <summary>Input height in pixels.</summary>
    public int Height { get; }

    /// <summary>Input width in pixels.</summary>
    public int Width { get; }

    /// <summary>Per-channel mean.</summary>
    public IReadOnlyList<float> Mean { get; }

    /// <summary>Per-channel standard deviation.</summary>
    public IReadOnlyList<float> Std { get; }

    /// <summary>ImageNet's RGB statistics at 224×224, as TorchVision's classifiers expect.</summary>
    public static InputSpec ImageNet { get; } = new(3, 224, 224, [0.485f, 0.456f, 0.406f], [0.229f, 0.224f, 0.225f]);

    /// <summary>Describes the spec in one line, e.g. <c>1×96×96, mean [0.05], std [0.18]</c>.</summary>
    /// <returns>The description.</returns>
    public override string ToString() =>
        $"{Channels}×{Height}×{Width}, mean [{string.Join(", ", Mean)}], std [{string.Join(", ", Std)}]";
}
