namespace Saliency.Imaging;

/// <summary>A saliency map <c>[H,W]</c> (row-major floats) as used by the renderers.</summary>
/// <param name="Width">The map's width.</param>
/// <param name="Height">The map's height.</param>
/// <param name="Values">The values, row-major; saliency maps lie in <c>[0,1]</c>.</param>
public sealed record MapImage(int Width, int Height, float[] Values)
{
    /// <summary>The map scaled to <paramref name="width"/>×<paramref name="height"/> by bilinear interpolation (half-pixel centres, as <c>align_corners=false</c>).</summary>
    /// <param name="width">The new width.</param>
    /// <param name="height">The new height.</param>
    /// <returns>The scaled map (this map when the size is unchanged).</returns>
    public MapImage Resize(int width, int height)
    {
        if (width == Width && height == Height)
        {
            return this;
        }

        var values = new float[width * height];
        var (sx, sy) = ((float)Width / width, (float)Height / height);
        for (var y = 0; y < height; y++)
        {
            var fy = Math.Clamp(((y + 0.5f) * sy) - 0.5f, 0, Height - 1);
            var y0 = (int)fy;
            var y1 = Math.Min(y0 + 1, Height - 1);
            var wy = fy - y0;
            for (var x = 0; x < width; x++)
            {
                var fx = Math.Clamp(((x + 0.5f) * sx) - 0.5f, 0, Width - 1);
                var x0 = (int)fx;
                var x1 = Math.Min(x0 + 1, Width - 1);
                var wx = fx - x0;
                var top = (Values[(y0 * Width) + x0] * (1 - wx)) + (Values[(y0 * Width) + x1] * wx);
                var bottom = (Values[(y1 * Width) + x0] * (1 - wx)) + (Values[(y1 * Width) + x1] * wx);
                values[(y * width) + x] = (top * (1 - wy)) + (bottom * wy);
            }
        }

        return new MapImage(width, height, values);
    }
}
