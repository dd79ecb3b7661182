using TorchSharp;
using static TorchSharp.torch;

namespace Saliency;

/// <summary>Turns a device name (<c>cpu</c>, <c>cuda</c>, <c>cuda:N</c>, <c>auto</c>) into a TorchSharp <see cref="Device"/>.</summary>
public static class DeviceSelector
{
    /// <summary>The names accepted by <see cref="Parse"/>.</summary>
    public const string Accepted = "cpu, cuda, cuda:N or auto";

    /// <summary>Resolves a device name; <c>auto</c> picks CUDA when available, else the CPU.</summary>
    /// <param name="name">The name, case-insensitive; <see langword="null"/> or empty means <c>auto</c>.</param>
    /// <returns>The device.</returns>
    /// <exception cref="ArgumentException">The name is not one of <see cref="Accepted"/>, or the CUDA device is not available.</exception>
    public static Device Parse(string? name)
    {
        TorchRuntime.EnsureInitialized();
        var text = string.IsNullOrWhiteSpace(name) ? "auto" : name.Trim().ToLowerInvariant();
        switch (text)
        {
            case "auto":
                return cuda.is_available() ? new Device(DeviceType.CUDA, 0) : new Device(DeviceType.CPU);
            case "cpu":
                return new Device(DeviceType.CPU);
            case "cuda":
                return Cuda(0, name!);
        }

        if (text.StartsWith("cuda:", StringComparison.Ordinal) && int.TryParse(text.AsSpan(5), out var index) && index >= 0)
        {
            return Cuda(index, name!);
        }

        throw new ArgumentException($"Unknown device '{name}'; use {Accepted}.", nameof(name));
    }

    private static Device Cuda(int index, string name)
    {
        if (!cuda.is_available())
        {
            throw new ArgumentException(
                $"Device '{name}' asks for CUDA, which is not available here: either no NVIDIA GPU and driver were found, or the application references TorchSharp's CPU backend (TorchSharp-cpu) instead of a CUDA one (libtorch-cuda-12.8-linux-x64 or -win-x64). Pass device 'cpu' or 'auto'.",
                nameof(name));
        }

        var count = cuda.device_count();
        if (index >= count)
        {
            throw new ArgumentException($"Device '{name}' does not exist: this machine has {count} CUDA device(s), cuda:0 to cuda:{count - 1}.", nameof(name));
        }

        return new Device(DeviceType.CUDA, index);
    }
}
