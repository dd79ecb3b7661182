using Saliency.Models;
using TorchSharp.PyBridge;

namespace Saliency.Cli.Tests;

/// <summary><c>explain --score</c>: the class logit (default) or its softmax probability.</summary>
public sealed class ScoreOptionTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Probability_explains_the_class_against_the_others_and_changes_the_grad_cam_weights()
    {
        var image = _temp.WriteSamples(count: 1)[0];
        var label = new ClassLabels(BuiltInModels.FashionMnistLabels).Slug(DemoSamples.All[0].Items[0].Label);

        var logit = Cli.Run("explain", image, "--target", label, "--save-maps", "--out", _temp["logit"]);
        var probability = Cli.Run("explain", image, "--target", label, "--score", "probability", "--save-maps", "--out", _temp["probability"]);

        logit.ExitCode.Should().Be(0, logit.ToString());
        probability.ExitCode.Should().Be(0, probability.ToString());
        var byLogit = Safetensors.LoadStateDict(Path.Combine(_temp["logit"], "canvas-01.maps.safetensors"))[$"grad-cam/{label}/raw"];
        var byProbability = Safetensors.LoadStateDict(Path.Combine(_temp["probability"], "canvas-01.maps.safetensors"))[$"grad-cam/{label}/raw"];
        byProbability.shape.Should().Equal(byLogit.shape);
        byProbability.allclose(byLogit, 1e-3, 1e-4).Should().BeFalse("∂p_c/∂A subtracts the other classes' evidence");
        byProbability.max().item<float>().Should().BeGreaterThan(0, "the probability of the sample's own class has positive evidence");
    }

    [Fact]
    public void An_unknown_score_is_refused_with_one_line()
    {
        var run = Cli.Run("explain", _temp.WriteSamples(count: 1)[0], "--score", "margin");

        run.ExitCode.Should().Be(2, run.ToString());
        run.ErrorLines.Should().ContainSingle().Which.Should().Be("error: --score must be logit or probability; got 'margin'.");
    }
}
