using SkiaSharp;

namespace Saliency.Imaging;

/// <summary>Reads PNG and JPEG files into bitmaps (size checked from the header first) and writes PNGs.</summary>
public static class ImageFile
{
    /// <summary>The file extensions treated as images when a folder is given.</summary>
    public static IReadOnlyList<string> Extensions { get; } = [".png", ".jpg", ".jpeg"];

    /// <summary>
    /// Decodes a PNG or JPEG file into an opaque RGBA bitmap (transparent pixels are composed over black). The size is
    /// read from the header and checked against <paramref name="limits"/> before any pixel is decoded.
    /// </summary>
    /// <param name="path">The file.</param>
    /// <param name="limits">The size limit; <see cref="ImageLimits.Default"/> when <see langword="null"/>.</param>
    /// <returns>The bitmap; the caller disposes it.</returns>
    /// <exception cref="ImageException">The file is missing, unreadable, not PNG/JPEG, corrupt, truncated or too large.</exception>
    public static SKBitmap Load(string path, ImageLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        return Decode(ReadAll(path, limits ?? ImageLimits.Default), path, limits);
    }

    /// <summary>Decodes PNG or JPEG bytes as <see cref="Load"/> does.</summary>
    /// <param name="bytes">The encoded image.</param>
    /// <param name="name">The image's name or path, for messages.</param>
    /// <param name="limits">The size limit; <see cref="ImageLimits.Default"/> when <see langword="null"/>.</param>
    /// <returns>The bitmap; the caller disposes it.</returns>
    /// <exception cref="ImageException">The bytes are not PNG/JPEG, corrupt, truncated or too large.</exception>
    public static SKBitmap Decode(byte[] bytes, string name, ImageLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        ArgumentNullException.ThrowIfNull(name);
        limits ??= ImageLimits.Default;
        using var data = SKData.CreateCopy(bytes);
        using var codec = SKCodec.Create(data)
            ?? throw new ImageException(name, Unrecognised(bytes));
        if (codec.EncodedFormat is not (SKEncodedImageFormat.Png or SKEncodedImageFormat.Jpeg))
        {
            throw new ImageException(name, $"unsupported image format {codec.EncodedFormat.ToString().ToUpperInvariant()}; use PNG or JPEG");
        }

        var (width, height) = (codec.Info.Width, codec.Info.Height);
        if (limits.Refusal(width, height) is { } refusal)
        {
            throw new ImageException(name, $"image too large: {refusal} (not decoded)");
        }

        var info = new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul);
        var bitmap = new SKBitmap(info);
        var result = codec.GetPixels(info, bitmap.GetPixels());
        if (result != SKCodecResult.Success)
        {
            bitmap.Dispose();
            var what = result == SKCodecResult.IncompleteInput ? "truncated" : "corrupt";
            throw new ImageException(name, $"{what} {codec.EncodedFormat.ToString().ToUpperInvariant()} image: the decoder reported {result}");
        }

        return Flatten(bitmap);
    }

    /// <summary>Writes <paramref name="bitmap"/> as a PNG, creating the folder.</summary>
    /// <param name="bitmap">The image.</param>
    /// <param name="path">The file to write.</param>
    public static void SavePng(SKBitmap bitmap, string path)
    {
        ArgumentNullException.ThrowIfNull(bitmap);
        ArgumentNullException.ThrowIfNull(path);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100)
            ?? throw new IOException($"Could not encode a {bitmap.Width}×{bitmap.Height} image as PNG.");
        using var file = File.Create(path);
        data.SaveTo(file);
    }

    /// <summary>How much of a file is read to tell its format before the rest is read (PNG and JPEG say it in 3 bytes).</summary>
    private const int HeaderBytes = 64 * 1024;

    /// <summary>
    /// The file's bytes, read only when they can be an image within <paramref name="limits"/>: special files are refused
    /// from their type (never opened), other formats from their first bytes, and files larger than any PNG or JPEG
    /// within the pixel limit from their size; nothing is read unbounded.
    /// </summary>
    private static byte[] ReadAll(string path, ImageLimits limits)
    {
        if (Directory.Exists(path))
        {
            throw new ImageException(path, "cannot read: it is a directory, not an image file");
        }

        if (!File.Exists(path))
        {
            throw new ImageException(path, "file not found");
        }

        if (FileKind.NotRegular(path) is { } kind)
        {
            throw new ImageException(path, $"cannot read: it is {kind}; pass image files");
        }

        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
            var length = stream.Length;
            var header = new byte[(int)Math.Min(length, HeaderBytes)];
            stream.ReadExactly(header);
            if (!IsPng(header) && !IsJpeg(header))
            {
                return header;
            }

            var most = MaxEncodedBytes(limits);
            if (length > most)
            {
                throw new ImageException(path, $"file too large: {length:N0} bytes is more than a PNG or JPEG within the {limits.MaxPixels:N0}-pixel limit takes ({most:N0} bytes; not read)");
            }

            var bytes = new byte[length];
            header.CopyTo(bytes, 0);
            stream.ReadExactly(bytes.AsSpan(header.Length));
            return bytes;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ImageException(path, $"cannot read: {e.Message}", e);
        }
    }

    /// <summary>The largest encoded image within the limits: 8 bytes per pixel (16-bit RGBA, stored) and 1 MiB of chunks.</summary>
    private static long MaxEncodedBytes(ImageLimits limits) => Math.Min((long)limits.MaxWidth * limits.MaxHeight, limits.MaxPixels) * 8 + (1 << 20);

    private static bool IsPng(byte[] bytes) => bytes.Length >= 4 && bytes[0] == 0x89 && bytes[1] == (byte)'P' && bytes[2] == (byte)'N' && bytes[3] == (byte)'G';

    private static bool IsJpeg(byte[] bytes) => bytes.Length >= 3 && bytes[0] == 0xFF && bytes[1] == 0xD8 && bytes[2] == 0xFF;

    private static string Unrecognised(byte[] bytes)
    {
        if (bytes.Length == 0)
        {
            return "empty file, not an image";
        }

        var png = IsPng(bytes);
        var jpeg = IsJpeg(bytes);
        return png || jpeg
            ? $"corrupt {(png ? "PNG" : "JPEG")} image: its header cannot be decoded"
            : "not a PNG or JPEG image (unrecognised content)";
    }

    private static SKBitmap Flatten(SKBitmap bitmap)
    {
        // Premultiplied RGB is the colour composed over black: keep it and make every pixel opaque.
        var rgba = bitmap.Bytes;
        for (var i = 3; i < rgba.Length; i += 4)
        {
            rgba[i] = 255;
        }

        var flat = Bitmaps.FromRgba(bitmap.Width, bitmap.Height, rgba);
        bitmap.Dispose();
        return flat;
    }
}
