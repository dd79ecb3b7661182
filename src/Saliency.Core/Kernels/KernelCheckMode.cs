namespace Saliency;

/// <summary>Whether the convolution kernels are checked before the first explanation, and what happens when they are wrong.</summary>
public enum KernelCheckMode
{
    /// <summary>
    /// Check once per process, device and thread count (<see cref="KernelSelfCheck"/>). If the CPU kernels are wrong,
    /// turn oneDNN off for the process, check again and warn; if they are still wrong, refuse to explain.
    /// </summary>
    Auto,

    /// <summary>Do not check. On a machine with broken kernels, maps are silently wrong.</summary>
    Off,

    /// <summary>Check, and refuse to explain when the kernels are wrong instead of changing process-wide settings.</summary>
    Strict,
}
