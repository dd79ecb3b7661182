using Saliency;
using Saliency.Cli;
using Saliency.Cli.Infrastructure;

// libtorch's own C++ warnings (such as NNPACK's on CPUs it does not support) reach stderr only with --verbose.
// libtorch reads the level once, when it loads: set it before any torch call (a level named by the environment stays).
var verbose = args.Contains("--verbose", StringComparer.Ordinal) || args.Contains("-v", StringComparer.Ordinal);
var inherited = Environment.GetEnvironmentVariable(TorchRuntime.NativeLogLevelVariable);
TorchRuntime.SetNativeLogLevel(verbose ? "WARNING" : string.IsNullOrEmpty(inherited) ? TorchRuntime.DefaultNativeLogLevel : inherited);

return SaliencyApp.Run(args, CliConsole.ForProcess());
