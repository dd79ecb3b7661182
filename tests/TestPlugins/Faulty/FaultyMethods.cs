using static TorchSharp.torch;

namespace Saliency.TestPlugin;

/// <summary>Throws from Explain.</summary>
public sealed class Throwing : ISaliencyMethod
{
    public MethodDescriptor Descriptor { get; } = new("faulty-throw", "Throws", "Throws from Explain, for host tests.", MethodRequirements.None);

    public SaliencyResult Explain(IExplanationContext context) => throw new InvalidOperationException("the method broke");
}

/// <summary>Returns a map one row too tall.</summary>
public sealed class WrongShape : ISaliencyMethod
{
    public MethodDescriptor Descriptor { get; } = new("faulty-shape", "Wrong shape", "Returns a map of the wrong shape, for host tests.", MethodRequirements.None);

    public SaliencyResult Explain(IExplanationContext context) =>
        context.Result(zeros(context.Input.shape[0], 1), zeros(context.Input.shape[0], context.InputHeight + 1, context.InputWidth));
}

/// <summary>Returns a map outside [0,1].</summary>
public sealed class OutOfRange : ISaliencyMethod
{
    public MethodDescriptor Descriptor { get; } = new("faulty-range", "Out of range", "Returns a map with values above 1, for host tests.", MethodRequirements.None);

    public SaliencyResult Explain(IExplanationContext context) =>
        context.Result(zeros(context.Input.shape[0], 1), full(context.Input.shape[0], context.InputHeight, context.InputWidth, 2f));
}
