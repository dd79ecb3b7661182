using System.ComponentModel;
using Saliency.Cli.Infrastructure;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Saliency.Cli.Commands;

/// <summary>Options that choose and load a model.</summary>
internal class ModelSettings : GlobalSettings
{
    [CommandOption("-m|--model <MODEL>")]
    [Description("A built-in model (fashion-gap, resnet18), or a user model as ASSEMBLY.dll:Namespace.Type (a class annotated with [[ExplainLayer]], with a public parameterless constructor).")]
    [DefaultValue("fashion-gap")]
    public string Model { get; set; } = "fashion-gap";

    [CommandOption("-w|--weights <FILE>")]
    [Description("Weights to load (.safetensors). Built-in models default to their bundled weights.")]
    public string? Weights { get; set; }

    [CommandOption("--channels <N>")]
    [Description("Input channels, 1 (gray) or 3 (RGB). User models default to 3; built-in models know theirs.")]
    public int? Channels { get; set; }

    [CommandOption("--size <SIZE>")]
    [Description("Input size images are resized to, e.g. 224 or 320x240. User models default to 224.")]
    public string? Size { get; set; }

    [CommandOption("--mean <MEAN>")]
    [Description("Per-channel mean subtracted from pixels in [[0,1]]. User models default to ImageNet's for 3 channels, 0 for 1.")]
    public string? Mean { get; set; }

    [CommandOption("--std <STD>")]
    [Description("Per-channel standard deviation pixels are divided by. User models default to ImageNet's for 3 channels, 1 for 1.")]
    public string? Std { get; set; }

    [CommandOption("--labels <FILE>")]
    [Description("Class names for a user model, one per line in class order (lets --target take names).")]
    public string? Labels { get; set; }

    [CommandOption("-d|--device <DEVICE>")]
    [Description("cpu, cuda, cuda:N or auto.")]
    [DefaultValue("auto")]
    public string Device { get; set; } = "auto";

    [CommandOption("--kernel-check <MODE>")]
    [Description(KernelCheckOption.Description)]
    [DefaultValue("auto")]
    public string KernelCheck { get; set; } = "auto";

    public override ValidationResult Validate() =>
        Channels is null or 1 or 3 ? KernelCheckOption.Validate(KernelCheck) : ValidationResult.Error($"--channels must be 1 or 3; got {Channels}.");
}
