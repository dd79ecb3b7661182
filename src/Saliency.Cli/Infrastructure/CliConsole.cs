using Spectre.Console;

namespace Saliency.Cli.Infrastructure;

/// <summary>
/// Where the command writes: <see cref="Out"/> for results and progress, <see cref="Error"/> for one-line errors.
/// Colours, cursor movement and live progress bars are used only on an interactive terminal; redirected output is
/// plain text.
/// </summary>
internal sealed class CliConsole
{
    public CliConsole(IAnsiConsole output, TextWriter error, bool interactive)
    {
        Out = output;
        Error = error;
        Interactive = interactive;
    }

    /// <summary>Results, tables and progress.</summary>
    public IAnsiConsole Out { get; }

    /// <summary>Errors and warnings, one line each.</summary>
    public TextWriter Error { get; }

    /// <summary>Whether stdout is a terminal (live progress bars, colours).</summary>
    public bool Interactive { get; }

    /// <summary>The process's own stdout and stderr.</summary>
    public static CliConsole ForProcess()
    {
        var interactive = !Console.IsOutputRedirected && Environment.GetEnvironmentVariable("NO_COLOR") is null;
        var output = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = interactive ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = interactive ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = interactive ? InteractionSupport.Yes : InteractionSupport.No,
            Out = new AnsiConsoleOutput(Console.Out),
        });
        if (!interactive)
        {
            // Redirected output has no width: wrap long lines at 160 columns, not Spectre's default of 80.
            output.Profile.Width = 160;
        }

        return new CliConsole(output, Console.Error, interactive);
    }

    /// <summary>Plain-text console writing to <paramref name="output"/> and <paramref name="error"/> (tests, pipes).</summary>
    public static CliConsole ForWriters(TextWriter output, TextWriter error)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(output),
        });
        console.Profile.Width = 160;
        return new CliConsole(console, error, interactive: false);
    }

    /// <summary>Writes a plain line to <see cref="Out"/> (no markup interpretation).</summary>
    public void WriteLine(string text) => Out.WriteLine(text);

    /// <summary>Writes <c>warning: …</c> to <see cref="Error"/>.</summary>
    public void Warn(string message) => Error.WriteLine($"warning: {message}");

    /// <summary>Writes <c>error: …</c> to <see cref="Error"/>.</summary>
    public void Fail(string message) => Error.WriteLine($"error: {message}");
}
