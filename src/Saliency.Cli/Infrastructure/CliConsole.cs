using Spectre.Console;

namespace Saliency.Cli.Infrastructure;

/// <summary>
/// Where the command writes: <see cref="Out"/> for results and progress, <see cref="Error"/> for one-line errors.
/// Colours, cursor movement and live progress bars are used only on an interactive terminal; redirected output is
/// plain text.
/// </summary>
internal sealed class CliConsole
{
    private readonly TextWriter _lines;

    public CliConsole(IAnsiConsole output, TextWriter lines, TextWriter error, bool interactive)
    {
        Out = output;
        _lines = lines;
        Error = error;
        Interactive = interactive;
    }

    /// <summary>Tables, help and progress bars.</summary>
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
            // Redirected output has no width: lay out tables and help for 160 columns, not Spectre's default of 80.
            output.Profile.Width = 160;
        }

        return new CliConsole(output, Console.Out, Console.Error, interactive);
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
        return new CliConsole(console, output, error, interactive: false);
    }

    /// <summary>Writes a plain line to stdout, never wrapped and without markup.</summary>
    public void WriteLine(string text) => _lines.WriteLine(text);

    /// <summary>Writes <c>warning: …</c> to <see cref="Error"/>.</summary>
    public void Warn(string message) => Error.WriteLine($"warning: {message}");

    /// <summary>Writes <c>error: …</c> to <see cref="Error"/>.</summary>
    public void Fail(string message) => Error.WriteLine($"error: {message}");
}
