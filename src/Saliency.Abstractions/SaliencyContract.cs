namespace Saliency;

/// <summary>The version of the method-plugin contract.</summary>
/// <remarks>
/// <see cref="Version"/> is a constant, so a plugin compiles the value it was built against into its
/// <see cref="MethodDescriptor.ContractVersion"/>; the host refuses plugins built against another major version.
/// Bump it only for a breaking change to <see cref="ISaliencyMethod"/>, <see cref="IExplanationContext"/> or
/// <see cref="SaliencyResult"/>.
/// </remarks>
public static class SaliencyContract
{
    /// <summary>The contract version this assembly defines.</summary>
    public const int Version = 1;
}
