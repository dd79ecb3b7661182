namespace Saliency.TestPlugin;

/// <summary>Claims a contract version the host does not speak.</summary>
public sealed class FromTheFuture : ISaliencyMethod
{
    public MethodDescriptor Descriptor { get; } = new("from-the-future", "Future", "Built against a newer contract, for host tests.", MethodRequirements.None)
    {
        ContractVersion = SaliencyContract.Version + 98,
    };

    public SaliencyResult Explain(IExplanationContext context) => throw new NotSupportedException();
}
