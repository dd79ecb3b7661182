using System.Diagnostics;
using System.Text;

namespace Saliency.Tests;

/// <summary>A finished child process: exit code and output.</summary>
internal sealed record ProcessRun(string Command, int ExitCode, string Out, string Error, TimeSpan Elapsed)
{
    public override string ToString() => $"$ {Command}\n(exit {ExitCode}, {Elapsed.TotalSeconds:F1} s)\n{Out}\n{Error}";
}

/// <summary>
/// Runs <c>dotnet</c> as a user outside the repository would: in a given folder, with this test run's MSBuild
/// variables removed (they would point a nested build at the test's own MSBuild), without the libtorch log level
/// this process set for itself (a child must quiet libtorch on its own), and with extra variables added.
/// </summary>
internal sealed class ChildProcess(IReadOnlyDictionary<string, string> environment)
{
    public ProcessRun Dotnet(string workingDirectory, TimeSpan timeout, params string[] args)
    {
        using var process = Start(workingDirectory, args);
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        var watch = Stopwatch.StartNew();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }

        return new ProcessRun("dotnet " + string.Join(' ', args), process.HasExited ? process.ExitCode : -1, output.Result, error.Result, watch.Elapsed);
    }

    /// <summary>Starts <c>dotnet args</c> with redirected output; the caller reads it and disposes the process.</summary>
    public Process Start(string workingDirectory, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase) || k == "DOTNET_HOST_PATH" || k == TorchRuntime.NativeLogLevelVariable).ToList())
        {
            start.Environment.Remove(name);
        }

        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        return Process.Start(start)!;
    }
}
