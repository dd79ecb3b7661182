namespace Saliency.TestPlugin;

/// <summary>Its constructor throws.</summary>
public sealed class BrokenConstructor : ISaliencyMethod
{
    public BrokenConstructor() => throw new InvalidOperationException("no configuration found");

    public MethodDescriptor Descriptor => throw new NotSupportedException();

    public SaliencyResult Explain(IExplanationContext context) => throw new NotSupportedException();
}
