using Saliency;
using Saliency.Cli;
using Saliency.Cli.Infrastructure;

// libtorch's own C++ warnings (such as NNPACK's on CPUs it does not support) reach stderr only with --verbose.
// libtorch reads the level once, when it loads: set it before any torch call.
if (args.Contains("--verbose", StringComparer.Ordinal) || args.Contains("-v", StringComparer.Ordinal))
{
    TorchRuntime.SetNativeLogLevel("WARNING");
}

return SaliencyApp.Run(args, CliConsole.ForProcess());
