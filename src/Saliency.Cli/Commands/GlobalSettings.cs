using System.ComponentModel;
using Spectre.Console.Cli;

namespace Saliency.Cli.Commands;

/// <summary>Options every command takes. Option descriptions are Spectre markup: write [[ and ]] for brackets.</summary>
internal class GlobalSettings : CommandSettings
{
    [CommandOption("-v|--verbose")]
    [Description("Print the stack trace with an error, and libtorch's own warnings.")]
    public bool Verbose { get; set; }
}
