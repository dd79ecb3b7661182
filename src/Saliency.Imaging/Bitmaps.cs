using System.Runtime.InteropServices;
using SkiaSharp;

namespace Saliency.Imaging;

/// <summary>Moves pixels between opaque RGBA bitmaps and managed arrays.</summary>
public static class Bitmaps
{
    /// <summary>Creates an opaque RGBA bitmap from <c>width·height·4</c> bytes (R, G, B, A per pixel, row-major).</summary>
    /// <param name="width">The width.</param>
    /// <param name="height">The height.</param>
    /// <param name="rgba">The pixels; alpha is ignored (the bitmap is opaque).</param>
    /// <returns>The bitmap; the caller disposes it.</returns>
    public static SKBitmap FromRgba(int width, int height, byte[] rgba)
    {
        ArgumentNullException.ThrowIfNull(rgba);
        if (rgba.Length != width * height * 4)
        {
            throw new ArgumentException($"Expected {width}×{height}×4 = {width * height * 4} bytes; got {rgba.Length}.", nameof(rgba));
        }

        var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        Marshal.Copy(rgba, 0, bitmap.GetPixels(), rgba.Length);
        return bitmap;
    }

    /// <summary>Creates an opaque bitmap from gray values in <c>[0,1]</c> (row-major).</summary>
    /// <param name="width">The width.</param>
    /// <param name="height">The height.</param>
    /// <param name="gray">The values, clamped to <c>[0,1]</c>.</param>
    /// <returns>The bitmap; the caller disposes it.</returns>
    public static SKBitmap FromGray(int width, int height, ReadOnlySpan<float> gray)
    {
        if (gray.Length != width * height)
        {
            throw new ArgumentException($"Expected {width}×{height} = {width * height} values; got {gray.Length}.", nameof(gray));
        }

        var rgba = new byte[gray.Length * 4];
        for (var i = 0; i < gray.Length; i++)
        {
            var v = ToByte(gray[i]);
            rgba[4 * i] = rgba[(4 * i) + 1] = rgba[(4 * i) + 2] = v;
            rgba[(4 * i) + 3] = 255;
        }

        return FromRgba(width, height, rgba);
    }

    /// <summary>The bitmap's pixels as RGBA bytes, converting other colour types.</summary>
    /// <param name="bitmap">The bitmap.</param>
    /// <returns>A copy of the pixels, <c>width·height·4</c> bytes.</returns>
    public static byte[] ToRgba(SKBitmap bitmap)
    {
        ArgumentNullException.ThrowIfNull(bitmap);
        if (bitmap.ColorType == SKColorType.Rgba8888)
        {
            return bitmap.Bytes;
        }

        using var converted = new SKBitmap(new SKImageInfo(bitmap.Width, bitmap.Height, SKColorType.Rgba8888, bitmap.AlphaType));
        using (var canvas = new SKCanvas(converted))
        {
            canvas.DrawBitmap(bitmap, 0, 0);
        }

        return converted.Bytes;
    }

    /// <summary>Scales <paramref name="bitmap"/> to <paramref name="width"/>×<paramref name="height"/> (bilinear, or nearest for crisp pixels).</summary>
    /// <param name="bitmap">The image.</param>
    /// <param name="width">The new width.</param>
    /// <param name="height">The new height.</param>
    /// <param name="nearest">Whether to keep pixels square (nearest neighbour) instead of smoothing them.</param>
    /// <returns>A new bitmap; the caller disposes it.</returns>
    public static SKBitmap Resize(SKBitmap bitmap, int width, int height, bool nearest = false)
    {
        ArgumentNullException.ThrowIfNull(bitmap);
        var sampling = nearest ? new SKSamplingOptions(SKFilterMode.Nearest) : new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear);
        return bitmap.Resize(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque), sampling)
            ?? throw new InvalidOperationException($"Could not resize a {bitmap.Width}×{bitmap.Height} image to {width}×{height}.");
    }

    /// <summary>A value in <c>[0,1]</c> as a byte (clamped, rounded).</summary>
    /// <param name="value">The value.</param>
    /// <returns>The byte.</returns>
    public static byte ToByte(float value) => float.IsNaN(value) ? (byte)0 : (byte)MathF.Round(Math.Clamp(value, 0f, 1f) * 255f);
}
