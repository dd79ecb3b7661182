namespace Saliency.Cli.Infrastructure;

/// <summary>The exit codes of the <c>saliency</c> command (documented in docs/cli.md).</summary>
internal static class ExitCodes
{
    /// <summary>Everything asked for was done.</summary>
    public const int Success = 0;

    /// <summary>Some inputs failed (each was reported on stderr); the others were processed.</summary>
    public const int SomeFailed = 1;

    /// <summary>Nothing was done: bad usage or bad input (unknown option, model, method, layer or label; bad weights; an output that cannot be written…).</summary>
    public const int BadInput = 2;

    /// <summary>An unexpected error (a bug): rerun with <c>--verbose</c> for the stack trace.</summary>
    public const int InternalError = 3;

    /// <summary>Interrupted (Ctrl+C).</summary>
    public const int Cancelled = 130;
}
