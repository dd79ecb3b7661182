using Saliency.Cli.Infrastructure;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Saliency.Cli.Commands;

/// <summary><c>saliency methods</c>: the loaded method plugins, what they show and what they need.</summary>
internal sealed class MethodsCommand(CliConsole console) : Command<GlobalSettings>
{
    public override int Execute(CommandContext context, GlobalSettings settings, CancellationToken cancellationToken)
    {
        using var host = HostFactory.Create("cpu");
        var table = new Table().AddColumns("Method", "Name", "Needs", "Description");
        foreach (var method in host.Methods)
        {
            table.AddRow(Markup.Escape(method.Id), Markup.Escape(method.DisplayName), Markup.Escape(Needs(method)), Markup.Escape(method.Description));
        }

        console.Out.Write(table);
        var options = new Table().AddColumns("Method", "Option (--option KEY=VALUE)", "Default", "Meaning");
        foreach (var method in host.Methods)
        {
            foreach (var option in method.Options)
            {
                options.AddRow(Markup.Escape(method.Id), Markup.Escape(option.Key), Markup.Escape(option.Default), Markup.Escape(option.Description));
            }
        }

        if (options.Rows.Count > 0)
        {
            console.Out.Write(options);
        }
        foreach (var plugin in host.Plugins.Where(p => p.Status != PluginStatus.Loaded))
        {
            console.Warn($"plugin {plugin.Name} was not loaded ({plugin.Status}): {plugin.Error}");
        }

        console.WriteLine($"{host.Methods.Count} method(s) from {string.Join(", ", host.PluginDirectories)}");
        return ExitCodes.Success;
    }

    /// <summary>The method's requirements in words.</summary>
    internal static string Needs(MethodDescriptor method)
    {
        var r = method.Requirements;
        var needs = new List<string>();
        if (r.HasFlag(MethodRequirements.ClassifierHead))
        {
            needs.Add("a GAP → Linear classifier head");
        }

        if (r.HasFlag(MethodRequirements.LayerGradients))
        {
            needs.Add("layer gradients");
        }
        else if (r.HasFlag(MethodRequirements.LayerActivations) && !r.HasFlag(MethodRequirements.ClassifierHead))
        {
            needs.Add("layer activations");
        }

        if (r.HasFlag(MethodRequirements.GuidedRelu))
        {
            needs.Add("guided input gradients (ReLU modules)");
        }
        else if (r.HasFlag(MethodRequirements.DeconvolutionRelu))
        {
            needs.Add("deconvolution input gradients (ReLU modules)");
        }
        else if (r.HasFlag(MethodRequirements.InputGradients))
        {
            needs.Add("input gradients");
        }

        if (method.Composes.Count > 0)
        {
            needs.Add($"composes {string.Join(" + ", method.Composes)}");
        }

        return needs.Count == 0 ? "its own passes (see its description)" : string.Join("; ", needs);
    }
}
