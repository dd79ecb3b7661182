using System.Reflection;
using Saliency.Cli.Commands;
using Saliency.Cli.Infrastructure;
using Spectre.Console.Cli;

namespace Saliency.Cli;

/// <summary>
/// The <c>saliency</c> command line. Each command is one class under Commands/; adding a command is one class and
/// one line in <see cref="Configure"/>. Every failure ends as one <c>error: …</c> line on stderr and a non-zero exit
/// code (<see cref="ExitCodes"/>); <c>--verbose</c> adds the stack trace.
/// </summary>
internal static class SaliencyApp
{
    /// <summary>Runs the command line and returns the exit code.</summary>
    public static int Run(string[] args, CliConsole console)
    {
        var app = new CommandApp();
        app.Configure(config => Configure(config, console));
        try
        {
            return app.Run(args);
        }
        catch (Exception e)
        {
            return Report(OptionErrors.Explain(e, args), console, verbose: args.Contains("--verbose", StringComparer.Ordinal) || args.Contains("-v", StringComparer.Ordinal));
        }
    }

    private static void Configure(IConfigurator config, CliConsole console)
    {
        config.SetApplicationName("saliency");
        config.ConfigureConsole(console.Out);
        config.PropagateExceptions();
        config.UseStrictParsing();
        config.Settings.Registrar.RegisterInstance(console);

        config.AddCommand<ExplainCommand>("explain")
            .WithDescription("Explain images: write heat-map overlays (PNG) for each image, method and target class.")
            .WithExample("explain", "photos/", "--model", "fashion-gap", "--method", "grad-cam", "--method", "cam", "--out", "out/maps")
            .WithExample("explain", "a.png", "--model", "MyModels.dll:MyNamespace.MyNet", "--weights", "mynet.safetensors", "--size", "224", "--channels", "3", "--top-k", "2");
        config.AddCommand<DemoCommand>("demo")
            .WithDescription("Write the demo figure: CAM, Grad-CAM, Guided Backprop and Guided Grad-CAM for both items of a sample canvas.");
        config.AddCommand<MethodsCommand>("methods")
            .WithDescription("List the loaded saliency methods with what they need.");
        config.AddCommand<LayersCommand>("layers")
            .WithDescription("List a model's explainable layers (the default is marked).")
            .WithExample("layers", "--model", "fashion-gap");
        config.AddCommand<DoctorCommand>("doctor")
            .WithDescription("Check that this machine explains correctly: libstdc++, libtorch, CPU caches, oneDNN, a kernel self-check per device, threads, CUDA, plugins.");
        config.AddCommand<EvaluateCommand>("evaluate")
            .WithDescription("Measure methods: localization against boxes, faithfulness (deletion/insertion, average drop, ROAD) and the randomization sanity check.")
            .WithExample("evaluate", "--canvases", "500", "--json", "out/eval/results.json", "--out", "out/eval");
        config.AddCommand<TrainDemoCommand>("train-demo")
            .WithDescription("Train the demo model fashion-gap on Fashion-MNIST canvases (seeded, a few minutes on a CPU).");
    }

    /// <summary>
    /// In a Saliency checkout, what fixes a libstdc++ without <see cref="TorchRuntime.RequiredGlibcxx"/> (the library's
    /// message names the fix in general terms; the command knows the repository it was built from).
    /// </summary>
    internal const string SetupHint = "In the Saliency repository, 'sudo eng/setup.sh' does that on Debian 12 (libstdc++6 from Debian 13 behind a low apt pin); 'saliency doctor' checks the result.";

    /// <summary>Reports a failure as one <c>error: …</c> line (and with <paramref name="verbose"/> the stack trace); returns the exit code.</summary>
    internal static int Report(Exception error, CliConsole console, bool verbose)
    {
        var e = Unwrap(error);
        var (code, message) = e switch
        {
            OperationCanceledException => (ExitCodes.Cancelled, "cancelled"),
            CommandAppException => (ExitCodes.BadInput, e.Message),
            SaliencyNativeLibraryException { MissingGlibcxx: not null } => (ExitCodes.InternalError, $"{e.Message} {SetupHint}"),
            SaliencyNativeLibraryException or KernelCheckException => (ExitCodes.InternalError, e.Message),
            SaliencyException or ArgumentException or InvalidDataException or IOException or UnauthorizedAccessException
                => (ExitCodes.BadInput, e.Message),
            _ => (ExitCodes.InternalError, $"{e.GetType().Name}: {e.Message}{(verbose ? string.Empty : " (rerun with --verbose for details)")}"),
        };
        console.Fail(OneLine(message));
        if (verbose)
        {
            console.Error.WriteLine(e.ToString());
        }

        return code;
    }

    private static Exception Unwrap(Exception e)
    {
        while (e is TargetInvocationException or AggregateException && e.InnerException is not null)
        {
            e = e.InnerException;
        }

        return e;
    }

    /// <summary>The first line of a message (libtorch's errors carry a native stack trace on the lines after it).</summary>
    private static string OneLine(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? string.Empty;
}
