using Saliency.Imaging;
using SkiaSharp;
using static TorchSharp.torch;

namespace Saliency.Cli.Explaining;

/// <summary>
/// The picture of one item of a result, at the image's size: a layer map (CAM, Grad-CAM) coloured and blended over
/// the image; an input-space attribution (Guided Backprop, Guided Grad-CAM: raw <c>[B,C,H,W]</c>) rendered as gradient.
/// </summary>
internal static class ExplanationPicture
{
    public static SKBitmap Render(SaliencyResult result, int item, SKBitmap image, Colormap colormap, float alpha)
    {
        using var scope = NewDisposeScope();
        if (result.Raw.dim() == 4)
        {
            var raw = result.Raw[item].cpu().to(ScalarType.Float32).contiguous();
            var (channels, height, width) = ((int)raw.shape[0], (int)raw.shape[1], (int)raw.shape[2]);
            using var gradient = GradientImage.Render(raw.data<float>().ToArray(), channels, height, width);
            return Bitmaps.Resize(gradient, image.Width, image.Height);
        }

        return Overlay.Blend(image, Map(result, item), colormap, alpha);
    }

    /// <summary>Row <paramref name="item"/> of the result's map.</summary>
    public static MapImage Map(SaliencyResult result, int item)
    {
        using var scope = NewDisposeScope();
        var map = result.Map[item].cpu().to(ScalarType.Float32).contiguous();
        return new MapImage((int)map.shape[1], (int)map.shape[0], map.data<float>().ToArray());
    }
}
