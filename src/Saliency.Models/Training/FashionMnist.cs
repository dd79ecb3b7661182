using System.Buffers.Binary;
using System.IO.Compression;

namespace Saliency.Models.Training;

/// <summary>
/// One split of Fashion-MNIST (Xiao et al. 2017) read from its IDX files, plain or gzipped, as Debian's
/// <c>dataset-fashion-mnist</c> installs them under <see cref="DefaultDirectory"/>.
/// </summary>
public sealed class FashionMnist
{
    /// <summary>Where Debian's <c>dataset-fashion-mnist</c> package puts the files.</summary>
    public const string DefaultDirectory = "/usr/share/datasets/fashion-mnist";

    /// <summary>The side of every image in pixels.</summary>
    public const int Side = 28;

    private const int ImageMagic = 0x00000803;
    private const int LabelMagic = 0x00000801;

    private readonly byte[] _pixels;
    private readonly byte[] _labels;

    private FashionMnist(byte[] pixels, byte[] labels)
    {
        _pixels = pixels;
        _labels = labels;
        Count = labels.Length;
    }

    /// <summary>The number of images.</summary>
    public int Count { get; }

    /// <summary>Loads the training split (<c>train-*</c>, 60,000 images).</summary>
    /// <param name="directory">The folder holding the IDX files.</param>
    /// <returns>The split.</returns>
    public static FashionMnist LoadTrain(string directory) => Load(directory, "train");

    /// <summary>Loads the test split (<c>t10k-*</c>, 10,000 images).</summary>
    /// <param name="directory">The folder holding the IDX files.</param>
    /// <returns>The split.</returns>
    public static FashionMnist LoadTest(string directory) => Load(directory, "t10k");

    /// <summary>The class of image <paramref name="index"/>, 0–9.</summary>
    /// <param name="index">The image index.</param>
    /// <returns>The class.</returns>
    public int Label(int index) => _labels[index];

    /// <summary>The 28×28 pixels of image <paramref name="index"/>, row-major, 0 (background) to 255.</summary>
    /// <param name="index">The image index.</param>
    /// <returns>A view of the pixels.</returns>
    public ReadOnlySpan<byte> Pixels(int index) => _pixels.AsSpan(index * Side * Side, Side * Side);

    private static FashionMnist Load(string directory, string prefix)
    {
        var images = ReadIdx(Find(directory, $"{prefix}-images-idx3-ubyte"), ImageMagic, out var imageCount);
        var labels = ReadIdx(Find(directory, $"{prefix}-labels-idx1-ubyte"), LabelMagic, out var labelCount);
        if (imageCount != labelCount || images.Length != imageCount * Side * Side)
        {
            throw new InvalidDataException($"Fashion-MNIST '{prefix}' in {directory} is inconsistent: {imageCount} images of {images.Length} bytes, {labelCount} labels.");
        }

        return new FashionMnist(images, labels);
    }

    private static string Find(string directory, string name)
    {
        foreach (var candidate in new[] { Path.Combine(directory, name + ".gz"), Path.Combine(directory, name) })
        {
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException(
            $"Fashion-MNIST file {name}[.gz] is not in {directory}. On Debian: apt-get install dataset-fashion-mnist (installs {DefaultDirectory}), or pass --data with the folder of the IDX files.");
    }

    private static byte[] ReadIdx(string path, int magic, out int count)
    {
        using var file = File.OpenRead(path);
        using Stream stream = path.EndsWith(".gz", StringComparison.Ordinal) ? new GZipStream(file, CompressionMode.Decompress) : file;
        using var memory = new MemoryStream();
        stream.CopyTo(memory);
        var bytes = memory.GetBuffer().AsSpan(0, (int)memory.Length);
        var dimensions = magic & 0xFF;
        var header = 4 + (4 * dimensions);
        if (bytes.Length < header || BinaryPrimitives.ReadInt32BigEndian(bytes) != magic)
        {
            throw new InvalidDataException($"{path} is not an IDX file with magic 0x{magic:X8}.");
        }

        count = BinaryPrimitives.ReadInt32BigEndian(bytes[4..]);
        return bytes[header..].ToArray();
    }
}
