using SkiaSharp;
using static TorchSharp.torch;

namespace Saliency.Imaging;

/// <summary>Converts images to normalised model inputs and back.</summary>
public static class ImageTensors
{
    /// <summary>
    /// The model input for <paramref name="image"/>: resized (bilinear) to the spec's size, converted to its channel
    /// count (luma <c>0.299R + 0.587G + 0.114B</c> for grayscale), scaled to <c>[0,1]</c> and normalised.
    /// </summary>
    /// <param name="image">The image.</param>
    /// <param name="spec">What the model takes.</param>
    /// <returns>Normalised values <c>[C,H,W]</c>, channel-major.</returns>
    public static float[] ToChw(SKBitmap image, InputSpec spec)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(spec);
        using var resized = image.Width == spec.Width && image.Height == spec.Height ? null : Bitmaps.Resize(image, spec.Width, spec.Height);
        var rgba = Bitmaps.ToRgba(resized ?? image);
        var plane = spec.Height * spec.Width;
        var values = new float[spec.Channels * plane];
        for (var i = 0; i < plane; i++)
        {
            var (r, g, b) = (rgba[4 * i] / 255f, rgba[(4 * i) + 1] / 255f, rgba[(4 * i) + 2] / 255f);
            if (spec.Channels == 1)
            {
                values[i] = ((0.299f * r) + (0.587f * g) + (0.114f * b) - spec.Mean[0]) / spec.Std[0];
            }
            else
            {
                values[i] = (r - spec.Mean[0]) / spec.Std[0];
                values[plane + i] = (g - spec.Mean[1]) / spec.Std[1];
                values[(2 * plane) + i] = (b - spec.Mean[2]) / spec.Std[2];
            }
        }

        return values;
    }

    /// <summary>A batch <c>[B,C,H,W]</c> of model inputs for <paramref name="images"/>.</summary>
    /// <param name="images">The images.</param>
    /// <param name="spec">What the model takes.</param>
    /// <returns>The batch (float32, CPU); the caller owns it.</returns>
    public static Tensor ToBatch(IReadOnlyList<SKBitmap> images, InputSpec spec)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(spec);
        var size = spec.Channels * spec.Height * spec.Width;
        var values = new float[images.Count * size];
        for (var i = 0; i < images.Count; i++)
        {
            ToChw(images[i], spec).CopyTo(values, i * size);
        }

        return tensor(values, [images.Count, spec.Channels, spec.Height, spec.Width]);
    }

    /// <summary>The image a normalised input <c>[C,H,W]</c> shows: un-normalised, clamped to <c>[0,1]</c>, gray or RGB.</summary>
    /// <param name="input">One model input.</param>
    /// <param name="spec">Its normalisation.</param>
    /// <returns>The bitmap; the caller disposes it.</returns>
    public static SKBitmap ToBitmap(Tensor input, InputSpec spec)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(spec);
        if (input.dim() != 3 || input.shape[0] != spec.Channels)
        {
            throw new ArgumentException($"Expected an input [{spec.Channels},H,W]; got [{string.Join(",", input.shape)}].", nameof(input));
        }

        var (height, width) = ((int)input.shape[1], (int)input.shape[2]);
        var values = input.detach().cpu().to(ScalarType.Float32).contiguous().data<float>().ToArray();
        var plane = height * width;
        var rgba = new byte[plane * 4];
        for (var i = 0; i < plane; i++)
        {
            for (var c = 0; c < 3; c++)
            {
                var channel = spec.Channels == 1 ? 0 : c;
                rgba[(4 * i) + c] = Bitmaps.ToByte((values[(channel * plane) + i] * spec.Std[channel]) + spec.Mean[channel]);
            }

            rgba[(4 * i) + 3] = 255;
        }

        return Bitmaps.FromRgba(width, height, rgba);
    }
}
