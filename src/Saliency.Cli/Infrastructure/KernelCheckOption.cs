using Spectre.Console;

namespace Saliency.Cli.Infrastructure;

/// <summary>The <c>--kernel-check</c> option: <c>auto</c>, <c>off</c> or <c>strict</c> (<see cref="KernelCheckMode"/>).</summary>
internal static class KernelCheckOption
{
    public const string Description =
        "Check the convolution kernels against float64 before explaining: auto (if the CPU's oneDNN kernels are wrong, turn oneDNN off and warn), strict (refuse instead), off (skip the check).";

    public static KernelCheckMode Parse(string value) => value.Trim().ToLowerInvariant() switch
    {
        "auto" => KernelCheckMode.Auto,
        "off" => KernelCheckMode.Off,
        "strict" => KernelCheckMode.Strict,
        _ => throw new ArgumentException($"--kernel-check must be auto, off or strict; got '{value}'."),
    };

    public static ValidationResult Validate(string value) =>
        value.Trim().ToLowerInvariant() is "auto" or "off" or "strict"
            ? ValidationResult.Success()
            : ValidationResult.Error($"--kernel-check must be auto, off or strict; got '{value}'.");
}
