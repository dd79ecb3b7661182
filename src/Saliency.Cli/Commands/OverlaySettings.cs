using System.ComponentModel;
using System.Globalization;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Saliency.Cli.Commands;

/// <summary>Options that choose and load a model, and how heat maps are drawn over images.</summary>
internal class OverlaySettings : ModelSettings
{
    [CommandOption("--colormap <NAME>")]
    [Description("jet (as in the CAM and Grad-CAM papers) or viridis (perceptually uniform).")]
    [DefaultValue("jet")]
    public string Colormap { get; set; } = "jet";

    [CommandOption("--alpha <A>")]
    [Description("Heat-map weight over the image, 0 to 1: (1-alpha)·image + alpha·heatmap.")]
    [DefaultValue(0.5f)]
    public float Alpha { get; set; }

    public override ValidationResult Validate() =>
        Alpha is >= 0 and <= 1 ? base.Validate() : ValidationResult.Error(string.Create(CultureInfo.InvariantCulture, $"--alpha must lie in [0,1]; got {Alpha}."));
}
