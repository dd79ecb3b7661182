using TorchSharp.PyBridge;

namespace Saliency.Cli.Tests;

/// <summary><c>explain --option KEY=VALUE</c>: method options reach the methods that take them, and only those.</summary>
public sealed class MethodOptionTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Eigen_smooth_reaches_grad_cam_and_matches_the_library_while_guided_backprop_is_left_alone()
    {
        var image = _temp.WriteSamples(count: 1)[0];

        var plain = Cli.Run("explain", image, "-M", "grad-cam,guided-backprop", "--save-maps", "--out", _temp["plain"]);
        var smoothed = Cli.Run("explain", image, "-M", "grad-cam,guided-backprop", "--option", "eigen-smooth=true", "--save-maps", "--out", _temp["smoothed"]);

        plain.ExitCode.Should().Be(0, plain.ToString());
        smoothed.ExitCode.Should().Be(0, smoothed.ToString());
        var before = Safetensors.LoadStateDict(Path.Combine(_temp["plain"], "canvas-01.maps.safetensors"));
        var after = Safetensors.LoadStateDict(Path.Combine(_temp["smoothed"], "canvas-01.maps.safetensors"));
        var gradCam = before.Keys.Single(k => k.StartsWith("grad-cam/", StringComparison.Ordinal) && k.EndsWith("/map", StringComparison.Ordinal));
        var guided = before.Keys.Single(k => k.StartsWith("guided-backprop/", StringComparison.Ordinal) && k.EndsWith("/map", StringComparison.Ordinal));
        using var change = (after[gradCam] - before[gradCam]).abs().max();
        change.item<float>().Should().BeGreaterThan(1e-3f, "the first principal component is not the channel sum");
        using var same = (after[guided] - before[guided]).abs().max();
        same.item<float>().Should().Be(0, "guided-backprop takes no eigen-smooth");
    }

    [Theory]
    [InlineData("eigen-smoth=true", "error: No chosen method (grad-cam) takes option 'eigen-smoth'. Did you mean 'eigen-smooth'? See 'saliency methods' for each method's options; theirs: aug-smooth, eigen-smooth.")]
    [InlineData("eigen-smooth=yes", "error: Option 'eigen-smooth' of method 'grad-cam' must be true or false (default false); got 'yes'.")]
    [InlineData("eigen-smooth", "error: --option takes KEY=VALUE, e.g. --option eigen-smooth=true; got 'eigen-smooth'.")]
    public void A_bad_option_is_refused_with_one_line_before_any_image_is_read(string option, string message)
    {
        var run = Cli.Run("explain", _temp.WriteSamples(count: 1)[0], "--option", option, "--out", _temp["out"]);

        run.ExitCode.Should().Be(2, run.ToString());
        run.ErrorLines.Should().ContainSingle().Which.Should().Be(message);
        Directory.Exists(_temp["out"]).Should().BeFalse("nothing is explained");
    }

    [Fact]
    public void A_whole_number_option_refuses_a_fraction()
    {
        var run = Cli.Run("explain", _temp.WriteSamples(count: 1)[0], "-M", "score-cam", "--option", "batch-size=2.5", "--out", _temp["out"]);

        run.ExitCode.Should().Be(2, run.ToString());
        run.ErrorLines.Should().ContainSingle().Which.Should().Be("error: Option 'batch-size' of method 'score-cam' must be a whole number (default 16); got '2.5'.");
    }
}
