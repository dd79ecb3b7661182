using Saliency.Cli;
using Saliency.Cli.Infrastructure;

return SaliencyApp.Run(args, CliConsole.ForProcess());
