using SkiaSharp;

namespace Saliency.Imaging;

/// <summary>
/// Renders an input-space attribution (Guided Backprop, Guided Grad-CAM) the way the papers show it, following
/// pytorch-grad-cam's <c>deprocess_image</c>: over all channels of the image, <c>x − mean</c>, divided by
/// <c>std + 1e-5</c>, times 0.1, plus 0.5, clipped to <c>[0,1]</c>. Zero gradient is mid-gray; a single channel is
/// shown as gray, three as RGB.
/// </summary>
public static class GradientImage
{
    /// <summary>Renders one attribution <c>[C,H,W]</c> (channel-major floats).</summary>
    /// <param name="values">The attribution.</param>
    /// <param name="channels">1 or 3.</param>
    /// <param name="height">The height.</param>
    /// <param name="width">The width.</param>
    /// <returns>The bitmap; the caller disposes it.</returns>
    public static SKBitmap Render(ReadOnlySpan<float> values, int channels, int height, int width)
    {
        if (channels is not (1 or 3) || values.Length != channels * height * width)
        {
            throw new ArgumentException($"Expected [C,H,W] with C = 1 or 3 and {height}×{width} pixels; got {values.Length} values for C = {channels}.", nameof(values));
        }

        var (mean, std) = Statistics(values);
        var scale = 0.1 / (std + 1e-5);
        var plane = height * width;
        var rgba = new byte[plane * 4];
        for (var i = 0; i < plane; i++)
        {
            for (var c = 0; c < 3; c++)
            {
                var channel = channels == 1 ? 0 : c;
                rgba[(4 * i) + c] = Bitmaps.ToByte((float)(((values[(channel * plane) + i] - mean) * scale) + 0.5));
            }

            rgba[(4 * i) + 3] = 255;
        }

        return Bitmaps.FromRgba(width, height, rgba);
    }

    private static (double Mean, double Std) Statistics(ReadOnlySpan<float> values)
    {
        var sum = 0.0;
        foreach (var v in values)
        {
            sum += v;
        }

        var mean = sum / values.Length;
        var squares = 0.0;
        foreach (var v in values)
        {
            squares += (v - mean) * (v - mean);
        }

        // numpy's std: the population standard deviation.
        return (mean, Math.Sqrt(squares / values.Length));
    }
}
