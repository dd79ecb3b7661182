using Saliency.Models;
using static TorchSharp.torch;

namespace Saliency.Cli.Tests;

/// <summary>The demo model's training loss and the <c>train-demo</c> options that shape it.</summary>
public sealed class DemoTrainingTests
{
    [Fact]
    public void The_cam_penalty_adds_its_weight_times_the_mean_negative_part_of_every_class_map()
    {
        using var scope = NewDisposeScope();
        manual_seed(11);
        using var net = new FashionGapNet();
        net.eval();
        var input = randn(3, 1, 64, 64);
        var targets = zeros(3, FashionGapNet.Classes);
        targets[0, 2] = tensor(1f);
        targets[1, 7] = tensor(1f);

        // By hand, through the explainable surface the generator gives the model: the layer the head pools and the head.
        var explainable = (IExplainable)net;
        var maps = explainable.GetLayer("features").call(input);
        var weights = explainable.ClassifierHead!.weight!;
        var negative = einsum("kc,bchw->bkhw", weights, maps).neg().clamp_min(0).mean().item<float>();
        var crossEntropy = nn.functional.binary_cross_entropy_with_logits(net.call(input), targets).item<float>();

        negative.Should().BeGreaterThan(1e-3f, "an untrained head has negative weights, so the penalty has something to measure");
        net.TrainingLoss(input, targets, 0).item<float>().Should().BeApproximately(crossEntropy, 1e-6f);
        net.TrainingLoss(input, targets, 0.15).item<float>().Should().BeApproximately(crossEntropy + (0.15f * negative), 1e-5f);
    }

    [Theory]
    [InlineData("--final-full-size", "1.5", "--final-full-size is a share of the steps, from 0 to 1; got 1.5.")]
    [InlineData("--single-items", "0.9", "--single-items is a share of the steps, from 0 to 1, and with --final-full-size at most 1; got 0.9 and 0.15.")]
    [InlineData("--cam-penalty", "-0.1", "--cam-penalty must be 0 or more; got -0.1.")]
    public void Out_of_range_training_options_are_refused_with_one_line(string option, string value, string message)
    {
        var run = Cli.Run("train-demo", option, value, "--data", "/nonexistent");

        run.ExitCode.Should().Be(2, run.ToString());
        run.ErrorLines.Should().ContainSingle().Which.Should().Contain(message);
    }
}
