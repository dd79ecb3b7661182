namespace Saliency.Cli.Tests;

/// <summary>
/// A run that goes well prints nothing on stderr: libtorch's own C++ warnings (such as
/// <c>[W… NNPACK.cpp:56] Could not initialize NNPACK! Reason: Unsupported hardware.</c> on CPUs NNPACK does not
/// support) are silenced unless <c>--verbose</c>. Only the kernel guard's product warning may appear, on machines
/// whose convolution kernels it routes around (KernelGuardCliTests checks that line).
/// </summary>
public sealed class QuietOutputTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Explaining_one_image_as_a_real_process_prints_nothing_on_stderr()
    {
        var image = _temp.WriteSamples(count: 1)[0];

        // Empty: the child decides its libtorch log level itself (this test process has set its own).
        var run = Cli.RunProcess(new Dictionary<string, string> { [TorchRuntime.NativeLogLevelVariable] = string.Empty }, "explain", image, "--out", _temp["out"]);

        run.ExitCode.Should().Be(0, run.ToString());
        run.ErrorLines.Should().BeEmpty(run.ToString());
        run.AllErrorLines.Should().NotContain(line => line.StartsWith('['), "libtorch's log lines start with [W, [I or [E");
    }
}
