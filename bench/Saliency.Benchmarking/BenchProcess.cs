using TorchSharp;
using static TorchSharp.torch;

namespace Saliency.Benchmarking;

/// <summary>What the quick bench and the memory check do to the process before they measure.</summary>
internal static class BenchProcess
{
    /// <summary>
    /// Loads libtorch, tunes the allocator if asked (<see cref="NativeAllocator.TuneForTensors"/>), sets libtorch's
    /// intra-op threads and resolves the device.
    /// </summary>
    /// <param name="tuneAllocator">Whether to tune glibc's allocator for tensors.</param>
    /// <param name="threads">libtorch's intra-op threads; <see langword="null"/> means one per logical core.</param>
    /// <param name="device">The device name (<c>cpu</c>, <c>cuda</c>, <c>cuda:N</c>, <c>auto</c>).</param>
    /// <param name="kernelCheck">Whether to check the device's convolution kernels first, as a host would (<see cref="KernelGuard"/>).</param>
    /// <returns>The device and its name as the host takes it (<c>cpu</c> or <c>cuda:N</c>).</returns>
    /// <exception cref="ArgumentException">The device is not available.</exception>
    /// <exception cref="KernelCheckException">The kernels are wrong and there is no correct route.</exception>
    public static (Device Device, string Name) Prepare(bool tuneAllocator, int? threads, string device, KernelCheckMode kernelCheck)
    {
        TorchRuntime.EnsureInitialized();
        if (tuneAllocator)
        {
            NativeAllocator.TuneForTensors();
        }

        torch.set_num_threads(threads ?? Environment.ProcessorCount);
        var parsed = DeviceSelector.Parse(device);
        KernelGuard.Default.Ensure(parsed, kernelCheck);
        return (parsed, parsed.type == DeviceType.CUDA ? $"cuda:{parsed.index}" : "cpu");
    }
}
