using System.Buffers.Binary;
using Saliency.Models.Training;

namespace Saliency.Cli.Tests;

/// <summary>
/// The canvas generator behind <c>train-demo</c> and <c>evaluate --canvases</c>, on a tiny Fashion-MNIST-shaped split
/// written here (the real data set is not needed).
/// </summary>
public sealed class CanvasGeneratorTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("saliency-canvas-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Theory]
    [InlineData(CanvasGenerator.MinimumSide)]
    [InlineData(72)]
    [InlineData(CanvasGenerator.Side)]
    public void Every_side_from_the_minimum_up_gets_two_separate_items_inside_the_canvas(int side)
    {
        // A first item near the middle of a 64×64 canvas leaves the second no room at all: this used to loop forever.
        var split = WriteSplit(classes: 10);
        var generator = new CanvasGenerator(split, seed: 7, mirror: true);

        var canvases = Enumerable.Range(0, 2000).Select(_ => generator.Next(side)).ToList();

        canvases.Should().OnlyContain(c => c.Side == side && c.Pixels.Length == side * side && c.Items.Count == 2);
        canvases.Should().OnlyContain(c => !c.Items[0].Overlaps(c.Items[1]) && c.Items[0].Label != c.Items[1].Label);
        canvases.SelectMany(c => c.Items).Should().OnlyContain(i => i.Left >= 0 && i.Top >= 0 && i.Left + CanvasItem.Size <= side && i.Top + CanvasItem.Size <= side);
        canvases.Select(c => (c.Items[0].Left, c.Items[0].Top)).Distinct().Count().Should().BeGreaterThan(100, "places are random");
    }

    [Fact]
    public void The_same_seed_makes_the_same_canvases()
    {
        var split = WriteSplit(classes: 10);

        var first = new CanvasGenerator(split, seed: 3, mirror: false);
        var second = new CanvasGenerator(split, seed: 3, mirror: false);

        for (var i = 0; i < 50; i++)
        {
            var (a, b) = (first.Next(), second.Next());
            a.Items.Should().Equal(b.Items);
            a.Pixels.Should().Equal(b.Pixels);
        }
    }

    /// <summary>Writes 40 items (4 per class, each a different solid brightness) as IDX files and loads them.</summary>
    private FashionMnist WriteSplit(int classes)
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

        File.WriteAllBytes(Path.Combine(_directory, "train-images-idx3-ubyte"), images);
        File.WriteAllBytes(Path.Combine(_directory, "train-labels-idx1-ubyte"), labels);
        return FashionMnist.LoadTrain(_directory);
    }
}
