using System.Buffers.Binary;
using Saliency.Models.Training;

namespace Saliency.Cli.Tests;

/// <summary>A tiny Fashion-MNIST-shaped training split written to a folder, so the canvas and training code run without the real data set.</summary>
internal static class TinyFashionSplit
{
    /// <summary>Writes 40 items (4 per class when <paramref name="classes"/> is 10, each a different solid brightness <c>10 + 6·i</c>) as IDX files and loads them.</summary>
    /// <param name="directory">The folder to write <c>train-images-idx3-ubyte</c> and <c>train-labels-idx1-ubyte</c> to.</param>
    /// <param name="classes">Item <c>i</c> gets label <c>i mod classes</c>.</param>
    /// <returns>The loaded split.</returns>
    public static FashionMnist Write(string directory, int classes)
    {
        const int Count = 40;
        var images = new byte[16 + (Count * FashionMnist.Side * FashionMnist.Side)];
        var labels = new byte[8 + Count];
        BinaryPrimitives.WriteInt32BigEndian(images, 0x803);
        BinaryPrimitives.WriteInt32BigEndian(images.AsSpan(4), Count);
        BinaryPrimitives.WriteInt32BigEndian(images.AsSpan(8), FashionMnist.Side);
        BinaryPrimitives.WriteInt32BigEndian(images.AsSpan(12), FashionMnist.Side);
        BinaryPrimitives.WriteInt32BigEndian(labels, 0x801);
        BinaryPrimitives.WriteInt32BigEndian(labels.AsSpan(4), Count);
        for (var i = 0; i < Count; i++)
        {
            images.AsSpan(16 + (i * FashionMnist.Side * FashionMnist.Side), FashionMnist.Side * FashionMnist.Side).Fill((byte)(10 + (6 * i)));
            labels[8 + i] = (byte)(i % classes);
        }

        File.WriteAllBytes(Path.Combine(directory, "train-images-idx3-ubyte"), images);
        File.WriteAllBytes(Path.Combine(directory, "train-labels-idx1-ubyte"), labels);
        return FashionMnist.LoadTrain(directory);
    }
}
