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
    public void Single_item_canvases_hold_one_whole_item_at_a_random_place_with_its_one_hot_target()
    {
        var split = WriteSplit(classes: 10);
        var generator = new CanvasGenerator(split, seed: 5, mirror: true);
        const int Side = CanvasGenerator.SingleItemSide;
        const int Count = 400;
        var pixels = new float[Count * Side * Side];
        var targets = new float[Count * 10];

        generator.NextSingleBatch(pixels, targets, Side);

        var places = new HashSet<(int, int)>();
        for (var i = 0; i < Count; i++)
        {
            var canvas = pixels.AsSpan(i * Side * Side, Side * Side).ToArray();
            var row = targets.AsSpan(i * 10, 10).ToArray();
            row.Should().ContainSingle(v => v == 1).And.OnlyContain(v => v == 0 || v == 1);
            var label = Array.IndexOf(row, 1f);

            // Each test item is one solid brightness, so the item's box is exactly the canvas's non-zero pixels.
            var lit = Enumerable.Range(0, Side * Side).Where(p => canvas[p] > 0).ToList();
            lit.Should().HaveCount(CanvasItem.Size * CanvasItem.Size);
            var (left, top) = (lit.Min(p => p % Side), lit.Min(p => p / Side));
            lit.Should().OnlyContain(p => p % Side < left + CanvasItem.Size && p / Side < top + CanvasItem.Size);
            var brightness = canvas[lit[0]];
            lit.Should().OnlyContain(p => canvas[p] == brightness);
            var index = (int)Math.Round(((brightness * 255) - 10) / 6);
            split.Label(index).Should().Be(label, "the target is the drawn item's class");
            places.Add((left, top));
        }

        places.Should().HaveCount(25, "a 28-pixel item has 5×5 places on a 32-pixel canvas, and 400 draws find them all");
    }

    [Fact]
    public void Training_shows_four_single_items_per_canvas_of_the_batch_on_its_single_item_steps()
    {
        WriteSplit(classes: 10);
        var options = new TrainingOptions
        {
            DataDirectory = _directory,
            Epochs = 1,
            EpochSize = 32,
            BatchSize = 8,
            Threads = 1,
            SingleItemShare = 0.5,
            FinalFullSizeShare = 0,
        };

        // 4 steps: 2 of 32 single items, 2 of 8 two-item canvases.
        var result = DemoTrainer.Train(options);
        using var model = result.Model;

        result.Canvases.Should().Be((2 * 32) + (2 * 8));
        double.IsFinite(result.FinalLoss).Should().BeTrue();
        var refused = () => DemoTrainer.Train(options with { SingleItemShare = 0.6, FinalFullSizeShare = 0.5 });
        refused.Should().Throw<ArgumentException>().WithMessage("The single-item share (0.6) and the final full-size share (0.5) must each lie in [0,1] and add up to at most 1.*");
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

    private FashionMnist WriteSplit(int classes) => TinyFashionSplit.Write(_directory, classes);
}
