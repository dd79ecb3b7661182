using SkiaSharp;

namespace Saliency.Imaging;

/// <summary>
/// Heat maps over images: <c>(1 − alpha)·image + alpha·colormap(map)</c> per pixel, with the map resized to the
/// image. <see cref="DefaultAlpha"/> is pytorch-grad-cam's <c>show_cam_on_image</c> weight of 0.5; unlike it, the
/// result is not divided by its maximum, so the image keeps its brightness.
/// </summary>
public static class Overlay
{
    /// <summary>The heat map's weight unless told otherwise.</summary>
    public const float DefaultAlpha = 0.5f;

    /// <summary>Blends <paramref name="map"/>, coloured by <paramref name="colormap"/>, over <paramref name="image"/>.</summary>
    /// <param name="image">The image.</param>
    /// <param name="map">The map in <c>[0,1]</c>, any size (resized bilinearly to the image).</param>
    /// <param name="colormap">The colours.</param>
    /// <param name="alpha">The heat map's weight in <c>[0,1]</c>: 0 shows the image only, 1 the heat map only.</param>
    /// <returns>A new bitmap of the image's size; the caller disposes it.</returns>
    public static SKBitmap Blend(SKBitmap image, MapImage map, Colormap colormap, float alpha = DefaultAlpha)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(map);
        ArgumentNullException.ThrowIfNull(colormap);
        if (!(alpha >= 0 && alpha <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "Alpha must lie in [0,1].");
        }

        var scaled = map.Resize(image.Width, image.Height);
        var rgba = Bitmaps.ToRgba(image);
        for (var i = 0; i < scaled.Values.Length; i++)
        {
            var colour = colormap[scaled.Values[i]];
            rgba[4 * i] = Mix(rgba[4 * i], colour.Red, alpha);
            rgba[(4 * i) + 1] = Mix(rgba[(4 * i) + 1], colour.Green, alpha);
            rgba[(4 * i) + 2] = Mix(rgba[(4 * i) + 2], colour.Blue, alpha);
            rgba[(4 * i) + 3] = 255;
        }

        return Bitmaps.FromRgba(image.Width, image.Height, rgba);
    }

    private static byte Mix(byte image, byte heat, float alpha) => (byte)MathF.Round(((1 - alpha) * image) + (alpha * heat));
}
