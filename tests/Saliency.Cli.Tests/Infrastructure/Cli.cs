using System.Diagnostics;
using Saliency.Cli.Infrastructure;

namespace Saliency.Cli.Tests;

/// <summary>What one run of the command printed and returned.</summary>
public sealed record CliRun(int ExitCode, string Out, string Error)
{
    /// <summary>
    /// The non-empty lines of stderr, less the kernel guard's one warning: on machines whose oneDNN kernels are broken
    /// every explaining command prints it (KernelGuardCliTests checks that line).
    /// </summary>
    public IReadOnlyList<string> ErrorLines => [.. AllErrorLines.Where(line => !IsKernelWarning(line))];

    /// <summary>Every non-empty line of stderr.</summary>
    public IReadOnlyList<string> AllErrorLines => Error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>Whether a stderr line is the kernel guard's warning.</summary>
    public static bool IsKernelWarning(string line) => line.StartsWith("warning: The CPU's convolution kernels (oneDNN) compute wrong numbers", StringComparison.Ordinal);

    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Out}\n--- stderr\n{Error}";
}

/// <summary>Runs the saliency command in this process (fast: libtorch loads once) or as a real process.</summary>
public static class Cli
{
    public static CliRun Run(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = SaliencyApp.Run(args, CliConsole.ForWriters(output, error));
        return new CliRun(code, output.ToString(), error.ToString());
    }

    /// <summary>Runs <c>dotnet saliency.dll</c> with redirected output, as CI or a pipe would.</summary>
    public static CliRun RunProcess(params string[] args) => RunProcess(new Dictionary<string, string>(), args);

    /// <summary>Runs <c>dotnet saliency.dll</c> as a child process with extra environment variables (this process's stay untouched).</summary>
    public static CliRun RunProcess(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        using var process = Start(environment, args);
        return process.Wait();
    }

    /// <summary>Starts <c>dotnet saliency.dll</c> as a child process (to be signalled or killed by the test).</summary>
    public static CliProcess Start(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "saliency.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        return new CliProcess(Process.Start(start)!);
    }
}

/// <summary>A running saliency process whose stdout and stderr are collected.</summary>
public sealed class CliProcess : IDisposable
{
    private readonly Task<string> _output;
    private readonly Task<string> _error;

    public CliProcess(Process process)
    {
        Process = process;
        _output = process.StandardOutput.ReadToEndAsync();
        _error = process.StandardError.ReadToEndAsync();
    }

    public Process Process { get; }

    /// <summary>Sends a POSIX signal (INT for Ctrl+C, KILL for a crash).</summary>
    public void Signal(string signal)
    {
        using var kill = Process.Start("kill", ["-" + signal, Process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }

    /// <summary>Waits for the exit (at most <paramref name="timeout"/>, then kills it and fails) and returns what it printed.</summary>
    public CliRun Wait(TimeSpan? timeout = null)
    {
        if (!Process.WaitForExit(timeout ?? TimeSpan.FromMinutes(5)))
        {
            Process.Kill();
            throw new TimeoutException("the saliency process did not exit");
        }

        Process.WaitForExit();
        return new CliRun(Process.ExitCode, _output.Result, _error.Result);
    }

    public void Dispose()
    {
        if (!Process.HasExited)
        {
            Process.Kill();
        }

        Process.Dispose();
    }
}
