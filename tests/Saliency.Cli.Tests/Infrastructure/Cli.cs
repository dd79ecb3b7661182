using System.Diagnostics;
using Saliency.Cli.Infrastructure;

namespace Saliency.Cli.Tests;

/// <summary>What one run of the command printed and returned.</summary>
public sealed record CliRun(int ExitCode, string Out, string Error)
{
    /// <summary>The non-empty lines of stderr.</summary>
    public IReadOnlyList<string> ErrorLines => Error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

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
    public static CliRun RunProcess(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "saliency.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        return new CliRun(process.ExitCode, output.Result, error.Result);
    }
}
