namespace Saliency.Cli.Tests;

/// <summary>
/// <c>saliency bench</c>: its wiring and option checks. Timing itself is never asserted (docs/benchmarks.md holds the
/// measured tables); the memory mode runs briefly to check that its report is produced and leaves no tensor behind.
/// </summary>
public sealed class BenchCommandTests
{
    [Fact]
    public void The_memory_mode_reports_live_tensors_rss_and_the_slope_and_leaves_no_tensor()
    {
        var run = Cli.Run("bench", "--memory", "12", "--warm", "2", "--threads", "1");

        run.ExitCode.Should().BeOneOf([0, 1], run.ToString());
        run.Out.Should().Contain("(0 left)", run.ToString());
        run.Out.Should().Contain("grad-cam").And.Contain("allocator");
    }

    [Theory]
    [InlineData("--batch", "0", "--batch must be positive integers")]
    [InlineData("--batch", "1,x", "--batch must be positive integers")]
    [InlineData("--iterations", "0", "--iterations must be at least 1")]
    [InlineData("--memory", "5", "--memory needs at least 10 runs")]
    public void Bad_options_are_refused_with_one_line(string option, string value, string message)
    {
        var run = Cli.Run("bench", option, value);

        run.ExitCode.Should().Be(2, run.ToString());
        run.ErrorLines.Should().ContainSingle().Which.Should().Contain(message);
    }

    [Fact]
    public void Help_lists_the_options()
    {
        var run = Cli.Run("bench", "--help");

        run.ExitCode.Should().Be(0);
        run.Out.Should().Contain("--batch").And.Contain("--memory").And.Contain("--default-allocator").And.Contain("--breakdown");
    }
}
