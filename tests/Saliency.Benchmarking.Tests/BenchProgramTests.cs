using Saliency.Benchmarks;

namespace Saliency.Benchmarking.Tests;

/// <summary>
/// <c>saliency-bench</c>: its wiring and option checks, run in process. Timing itself is never asserted
/// (docs/benchmarks.md holds the measured tables); the memory mode runs briefly to check that its report is produced
/// and leaves no tensor behind.
/// </summary>
public sealed class BenchProgramTests
{
    [Fact]
    public void The_memory_mode_reports_live_tensors_rss_and_the_slope_and_leaves_no_tensor()
    {
        var run = Bench("--memory", "12", "--warm", "2", "--threads", "1");

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
        var run = Bench(option, value);

        run.ExitCode.Should().Be(2, run.ToString());
        run.ErrorLines.Should().ContainSingle().Which.Should().Contain(message);
    }

    [Fact]
    public void A_bad_kernel_check_value_is_refused_with_one_line()
    {
        var run = Bench("--kernel-check", "sometimes");

        run.ExitCode.Should().Be(2, run.ToString());
        run.ErrorLines.Should().ContainSingle().Which.Should().Contain("--kernel-check must be auto, off or strict; got 'sometimes'");
    }

    [Theory]
    [InlineData("error: Unknown option '--filter'; see --help.", "--filter", "*")]
    [InlineData("error: --memory needs a value (N).", "--memory")]
    [InlineData("error: --warm applies only to --memory; see --help.", "--warm", "5")]
    [InlineData("error: --breakdown applies only to the quick table; see --help.", "--bdn", "--breakdown")]
    [InlineData("error: --kernel-cost and --memory measure different things; pass one.", "--memory", "20", "--kernel-cost")]
    [InlineData("error: --kernel-cost measures the CPU's oneDNN; use --device cpu.", "--kernel-cost", "--device", "cuda")]
    [InlineData("error: --memory runs one batch size; got 1,8.", "--memory", "20", "--batch", "1,8")]
    [InlineData("error: --warm must lie in [0, --memory).", "--memory", "20", "--warm", "20")]
    public void Unknown_options_missing_values_and_options_outside_their_mode_are_refused_with_one_line(string error, params string[] args)
    {
        var run = Bench(args);

        run.ExitCode.Should().Be(2, run.ToString());
        run.Out.Should().BeEmpty("nothing is measured");
        run.ErrorLines.Should().Equal(error);
    }

    [Fact]
    public void Benchmarkdotnet_mode_takes_the_arguments_it_does_not_know_and_honours_threads_and_device()
    {
        var arguments = BenchArguments.Parse(["--bdn", "--filter", "*", "--threads", "1", "--device", "cpu", "--default-allocator"]);

        arguments.Mode.Should().Be(BenchMode.BenchmarkDotNet);
        arguments.BenchmarkDotNetArguments.Should().Equal("--filter", "*");
        arguments.Threads.Should().Be(1);
        arguments.DefaultAllocator.Should().BeTrue();
    }

    [Fact]
    public void Help_lists_the_options()
    {
        var run = Bench("--help");

        run.ExitCode.Should().Be(0);
        run.Out.Should().Contain("--batch").And.Contain("--memory").And.Contain("--default-allocator").And.Contain("--breakdown");
        run.Out.Should().Contain("--kernel-check").And.Contain("--kernel-cost");
    }

    private static BenchRun Bench(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = BenchProgram.Run(args, output, error);
        return new BenchRun(code, output.ToString(), error.ToString());
    }

    /// <summary>What one run printed and returned.</summary>
    private sealed record BenchRun(int ExitCode, string Out, string Error)
    {
        public IReadOnlyList<string> ErrorLines => Error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

        public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Out}\n--- stderr\n{Error}";
    }
}
