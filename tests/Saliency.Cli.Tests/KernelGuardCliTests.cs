using TorchSharp;

namespace Saliency.Cli.Tests;

/// <summary>
/// <c>--kernel-check</c> and <c>saliency doctor</c>. Whether this machine's oneDNN kernels are broken decides what the
/// commands print; each test asserts the output that fits the guard's verdict here (the failure branch itself is
/// forced in Saliency.Core.Tests).
/// </summary>
public sealed class KernelGuardCliTests : IDisposable
{
    private static readonly torch.Device Cpu = new(DeviceType.CPU);
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Explain_prints_the_guards_warning_once_when_it_routed_and_never_otherwise()
    {
        var images = _temp.WriteSamples(count: 2);

        var run = Cli.Run("explain", images[0], images[1], "--method", "grad-cam,guided-backprop,guided-grad-cam", "--batch-size", "1", "--out", _temp["out"]);

        run.ExitCode.Should().Be(0, run.ToString());
        var status = KernelGuard.Default.StatusOf(Cpu);
        status.Should().NotBeNull("explain checks the kernels before the first image");
        var expected = status!.Warning is null ? 0 : 1;
        run.AllErrorLines.Count(CliRun.IsKernelWarning).Should().Be(expected, run.ToString());
        run.ErrorLines.Should().BeEmpty("the warning is not repeated per method or per image");
    }

    [Fact]
    public void Kernel_check_off_runs_no_check_and_prints_nothing_about_kernels_it_did_not_check()
    {
        var image = _temp.WriteSamples(count: 1)[0];

        var run = Cli.Run("explain", image, "--kernel-check", "off", "--out", _temp["out"]);

        run.ExitCode.Should().Be(0, run.ToString());
        run.ErrorLines.Should().BeEmpty();
    }

    [Theory]
    [InlineData("explain")]
    [InlineData("demo")]
    [InlineData("doctor")]
    public void A_bad_kernel_check_value_is_refused_with_one_line(string command)
    {
        string[] args = command == "explain" ? [command, _temp.WriteSamples(count: 1)[0], "--kernel-check", "sometimes"] : [command, "--kernel-check", "sometimes"];

        var run = Cli.Run(args);

        run.ExitCode.Should().Be(2, run.ToString());
        run.ErrorLines.Should().ContainSingle().Which.Should().Contain("--kernel-check must be auto, off or strict; got 'sometimes'");
    }

    [Fact]
    public void Doctor_reports_every_check_with_a_verdict_and_exits_0_when_explanations_are_correct()
    {
        var run = Cli.Run("doctor", "--device", "cpu");

        run.ExitCode.Should().Be(0, run.ToString());
        var lines = run.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var verdicts = lines.Where(l => l.Length > 1 && "✓!✗".Contains(l[0], StringComparison.Ordinal) && l[1] == ' ').ToList();
        verdicts.Select(l => l[2..].Split("  ", 2)[0].Trim()).Should().Contain([".NET", "TorchSharp", "CPU", "oneDNN", "kernels cpu", "threads", "CUDA", "plugins", "allocator"]);
        verdicts.Should().NotContain(l => l.StartsWith('✗'), run.Out);
        var kernels = verdicts.Single(l => l.Contains("kernels cpu", StringComparison.Ordinal));
        var status = KernelGuard.Default.StatusOf(Cpu)!;
        if (status.Route == KernelRoute.OneDnnDisabled)
        {
            kernels.Should().StartWith("!").And.Contain("wrong with oneDNN").And.Contain("right with oneDNN off");
            lines.Should().Contain(l => l.Contains("N=2 Cin=3 Cout=8 32×32:", StringComparison.Ordinal) && l.Contains("with oneDNN off", StringComparison.Ordinal), "the worst error per shape");
        }
        else if (status.Route == KernelRoute.OneDnnCacheSizesRepaired)
        {
            kernels.Should().StartWith("!").And.Contain("wrong with oneDNN as it was").And.Contain("right once oneDNN was given usable cache sizes");
            lines.Should().Contain(l => l.Contains("N=2 Cin=3 Cout=8 32×32:", StringComparison.Ordinal) && l.Contains("with usable cache sizes", StringComparison.Ordinal), "the worst error per shape");
        }
        else
        {
            kernels.Should().StartWith("✓").And.Contain("float32 matches float64");
            lines.Should().Contain(l => l.TrimStart().StartsWith("N=2 Cin=3 Cout=8 32×32:", StringComparison.Ordinal), "the worst error per shape");
        }

        BuiltInMethods.Ids.Should().Contain(["cam", "grad-cam", "guided-backprop", "guided-grad-cam", "layer-cam", "score-cam", "ablation-cam", "grad-cam++", "eigen-cam"]);
        run.Out.Should().Contain($"{BuiltInMethods.Ids.Count} methods ({BuiltInMethods.List})");
        lines[^1].Should().StartWith("Saliency can explain correctly on this machine");
    }

    [Fact]
    public void Doctor_with_a_plugin_directory_that_holds_a_broken_plugin_fails_and_names_it()
    {
        var plugins = _temp["plugins"];
        Directory.CreateDirectory(Path.Combine(plugins, "Broken"));
        File.WriteAllText(Path.Combine(plugins, "Broken", "Broken.dll"), "not an assembly");

        var run = Cli.RunProcess(new Dictionary<string, string> { [SaliencyHost.PluginPathVariable] = plugins }, "doctor", "--device", "cpu");

        run.ExitCode.Should().Be(1, run.ToString());
        run.Out.Should().Contain("✗ plugin Broken").And.Contain("→ rebuild or remove");
        run.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1].Should().Be("1 problem(s) above stop Saliency from explaining correctly here.");
    }

    [Fact]
    public void Help_lists_doctor_and_the_kernel_check_option()
    {
        Cli.Run("--help").Out.Should().Contain("doctor");
        Cli.Run("explain", "--help").Out.Should().Contain("--kernel-check");
    }
}
