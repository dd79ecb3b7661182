using Microsoft.Extensions.Logging;
using static TorchSharp.torch;

namespace Saliency;

/// <summary>
/// Runs one method in one context: everything the method allocates is freed when it returns except its result; a
/// method that throws anything but a clear Saliency or argument error is reported with its id and source; a result
/// of the wrong shape or range is refused (<see cref="ResultValidator"/>); warnings are logged.
/// </summary>
internal sealed class MethodInvoker(ILogger logger)
{
    public SaliencyResult Run(MethodEntry entry, ExplanationContext context)
    {
        var id = entry.Descriptor.Id;
        context.CancellationToken.ThrowIfCancellationRequested();
        SaliencyResult? result;
        try
        {
            using var scope = NewDisposeScope();
            result = entry.Method.Explain(context);
        }
        catch (Exception e) when (e is not (SaliencyException or ArgumentException or OutOfMemoryException or OperationCanceledException))
        {
            logger.LogError(e, "Method {Method} from {Source} failed", id, entry.Source);
            throw new SaliencyException($"Method '{id}' ({entry.Source}) failed: {e.GetType().Name}: {e.Message}", e);
        }

        var problem = result is null ? "returned no result" : ResultValidator.Problem(result, context.Input);
        if (problem is not null)
        {
            result?.Dispose();
            logger.LogError("Method {Method} from {Source} returned a malformed result: {Problem}", id, entry.Source, problem);
            throw new SaliencyException($"Method '{id}' ({entry.Source}) {problem}.");
        }

        foreach (var warning in result!.Warnings)
        {
            logger.LogWarning("{Method}: {Warning}", id, warning);
        }

        return result;
    }
}
