namespace Saliency;

/// <summary>
/// A saliency method. A plugin is one public class implementing this interface with a public parameterless
/// constructor; the host discovers it, shares one forward pass among all requested methods, and owns the
/// tensors of the context.
/// </summary>
/// <example>
/// <code>
/// public sealed class LayerCam : ISaliencyMethod
/// {
///     public MethodDescriptor Descriptor { get; } = new("layer-cam", "LayerCAM",
///         "Σ_k ReLU(∂y_c/∂A_k)·A_k (Jiang et al. 2021).", MethodRequirements.LayerGradients);
///
///     public SaliencyResult Explain(IExplanationContext context)
///     {
///         var raw = (context.LayerGradients.relu() * context.Activations).sum(1).relu();
///         return context.Result(raw, SaliencyMaps.ScaleCam(raw, context.InputHeight, context.InputWidth));
///     }
/// }
/// </code>
/// </example>
public interface ISaliencyMethod
{
    /// <summary>The method's id, description and needs.</summary>
    MethodDescriptor Descriptor { get; }

    /// <summary>Computes the explanation for every item of the context's batch.</summary>
    /// <param name="context">The input, the shared passes and the request.</param>
    /// <returns>A result made with <see cref="IExplanationContext.Result"/>.</returns>
    SaliencyResult Explain(IExplanationContext context);
}
