using Saliency.Cli.Infrastructure;
using Saliency.Cli.Modeling;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Saliency.Cli.Commands;

/// <summary><c>saliency layers</c>: a model's explainable layers, the default marked, and its classifier head.</summary>
internal sealed class LayersCommand(CliConsole console) : Command<ModelSettings>
{
    public override int Execute(CommandContext context, ModelSettings settings, CancellationToken cancellationToken)
    {
        using var model = ModelLoader.Load(settings, DeviceSelector.Parse("cpu"), requireWeights: false);
        var explainable = model.Explainable;
        var table = new Table().AddColumns("Layer", "Module", "Default");
        foreach (var layer in explainable.Layers)
        {
            table.AddRow(Markup.Escape(layer.Name), Markup.Escape(layer.ModuleType.Name), layer.IsDefault ? "*" : string.Empty);
        }

        console.Out.Write(table);
        var head = explainable.ClassifierHead is { } linear
            ? $"classifier head: Linear({linear.in_features} → {linear.out_features}), so CAM applies"
            : "no classifier head: CAM does not apply (use grad-cam)";
        console.WriteLine($"{model.Name}: input {model.Input}; default layer {explainable.DefaultLayer}; {head}.");
        console.WriteLine("Any module path of named_modules() (e.g. features.conv3) can also be passed to --layer.");
        return ExitCodes.Success;
    }
}
