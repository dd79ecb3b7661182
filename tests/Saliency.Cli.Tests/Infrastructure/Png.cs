using SkiaSharp;

namespace Saliency.Cli.Tests;

/// <summary>Reads PNG files written by the command.</summary>
public static class Png
{
    /// <summary>Decodes <paramref name="path"/> and returns its size; fails the test if it is not a PNG.</summary>
    public static (int Width, int Height) Size(string path)
    {
        using var codec = SKCodec.Create(path);
        codec.Should().NotBeNull($"{path} should be an image");
        codec!.EncodedFormat.Should().Be(SKEncodedImageFormat.Png);
        using var bitmap = SKBitmap.Decode(path);
        bitmap.Should().NotBeNull($"{path} should decode");
        return (bitmap.Width, bitmap.Height);
    }

    /// <summary>Writes a PNG of the given size filled with one colour.</summary>
    public static string Write(string path, int width, int height, SKColor colour)
    {
        using var bitmap = new SKBitmap(width, height);
        bitmap.Erase(colour);
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        File.WriteAllBytes(path, data.ToArray());
        return path;
    }
}
