using Saliency.Cli.Commands;
using Saliency.Cli.Infrastructure;
using Saliency.Cli.Modeling;
using Saliency.Imaging;
using Saliency.Models;
using Saliency.Models.Training;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Saliency.Cli.Tests;

/// <summary>
/// The demo's promise, on every committed sample canvas: the CAM and Grad-CAM maps for class A peak on item A, not on
/// item B, and the other way round. "Peak" is checked twice: the argmax pixel, and the centre of mass of the top 5 %
/// of the map; each must lie in its item's 28×28 box grown by <see cref="Margin"/> pixels and outside the other box.
/// </summary>
public sealed class ClassDiscriminationTests(DemoModelFixture fixture, ITestOutputHelper output) : IClassFixture<DemoModelFixture>
{
    private const int Margin = 4;

    public static TheoryData<int> Samples => [.. Enumerable.Range(0, DemoSamples.All.Count)];

    [Fact]
    public void Six_samples_are_committed_with_two_items_of_different_classes_each()
    {
        DemoSamples.All.Should().HaveCount(6);
        DemoSamples.All.Should().OnlyContain(s => s.Items.Count == 2 && s.Items[0].Label != s.Items[1].Label && !s.Items[0].Overlaps(s.Items[1]));
    }

    [Theory]
    [MemberData(nameof(Samples))]
    public void Cam_and_grad_cam_for_each_class_peak_on_that_class_item(int index)
    {
        var sample = DemoSamples.All[index];
        using var image = ImageFile.Decode(sample.Png, sample.Name);
        using var scope = NewDisposeScope();
        var input = ImageTensors.ToBatch([image], fixture.Model.Input);

        foreach (var (item, other) in new[] { (sample.Items[0], sample.Items[1]), (sample.Items[1], sample.Items[0]) })
        {
            var requests = new[] { "cam", "grad-cam" }.Select(m => new ExplainRequest(m) { Targets = [item.Label] }).ToList();
            foreach (var result in fixture.Host.Explain(fixture.Model.Explainable, input, requests))
            {
                using (result)
                {
                    var map = result.Map[0].contiguous().data<float>().ToArray();
                    var (peakX, peakY) = Argmax(map, CanvasGenerator.Side);
                    var (massX, massY) = TopCentreOfMass(map, CanvasGenerator.Side, 0.05);
                    var label = BuiltInModels.FashionMnistLabels[item.Label];
                    output.WriteLine($"{sample.Name} {result.Method} {label}: argmax ({peakX},{peakY}), top-5% centre ({massX:F1},{massY:F1}); item box at ({item.Left},{item.Top}), other at ({other.Left},{other.Top})");

                    item.Contains(peakX, peakY, Margin).Should().BeTrue($"the {result.Method} argmax for {label} on {sample.Name} should lie on the {label}");
                    other.Contains(peakX, peakY).Should().BeFalse($"the {result.Method} argmax for {label} on {sample.Name} should not lie on the other item");
                    item.Contains(massX, massY, Margin).Should().BeTrue($"the {result.Method} top-5% centre for {label} on {sample.Name} should lie on the {label}");
                    other.Contains(massX, massY).Should().BeFalse($"the {result.Method} top-5% centre for {label} on {sample.Name} should not lie on the other item");
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Samples))]
    public void The_model_ranks_both_items_of_every_sample_in_its_top_two(int index)
    {
        var sample = DemoSamples.All[index];
        using var image = ImageFile.Decode(sample.Png, sample.Name);
        using var scope = NewDisposeScope();
        var input = ImageTensors.ToBatch([image], fixture.Model.Input);
        using var capture = SaliencyEngine.Capture(fixture.Model.Explainable, input, gradients: false);

        var top2 = capture.Logits[0].topk(2).indexes.data<long>().ToArray();

        top2.Should().BeEquivalentTo(sample.Items.Select(i => (long)i.Label), $"{sample.Name} holds a {string.Join(" and a ", sample.Items.Select(i => BuiltInModels.FashionMnistLabels[i.Label]))}");
    }

    private static (int X, int Y) Argmax(float[] map, int side)
    {
        var best = 0;
        for (var i = 1; i < map.Length; i++)
        {
            if (map[i] > map[best])
            {
                best = i;
            }
        }

        return (best % side, best / side);
    }

    private static (double X, double Y) TopCentreOfMass(float[] map, int side, double share)
    {
        var threshold = map.OrderByDescending(v => v).ElementAt((int)(map.Length * share) - 1);
        double sum = 0, x = 0, y = 0;
        for (var i = 0; i < map.Length; i++)
        {
            if (map[i] >= threshold)
            {
                sum += map[i];
                x += map[i] * ((i % side) + 0.5);
                y += map[i] * ((i / side) + 0.5);
            }
        }

        return (x / sum, y / sum);
    }
}

/// <summary>One host and one loaded fashion-gap model, shared by the tests that explain with them directly.</summary>
public sealed class DemoModelFixture : IDisposable
{
    public DemoModelFixture()
    {
        Host = HostFactory.Create("cpu");
        Model = ModelLoader.Load(new ModelSettings(), Host.Device);
    }

    public SaliencyHost Host { get; }

    internal LoadedModel Model { get; }

    public void Dispose()
    {
        Model.Dispose();
        Host.Dispose();
    }
}
