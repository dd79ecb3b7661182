using System.Runtime.InteropServices;

namespace Saliency;

/// <summary>
/// Tunes the C allocator that libtorch's CPU tensors come from, so that freed tensor memory is reused instead of
/// being returned to the operating system and faulted in again on the next pass.
/// </summary>
/// <remarks>
/// <para>
/// glibc serves large blocks with <c>mmap</c> and trims freed memory at the top of the heap. A saliency pass allocates
/// the same large tensors again and again (Guided Backprop adds one <c>max(g, 0)</c> of every ReLU gradient), so with
/// the defaults many of those pages are zero-filled by the kernel on every pass: on resnet18 at batch 8, one thread,
/// that made Guided Backprop 1.07–1.12× its floor, and 1.01–1.02× with the allocator tuned (docs/benchmarks.md).
/// PyTorch's own advice for CPU work is a caching allocator (jemalloc or tcmalloc); this is the glibc equivalent.
/// </para>
/// <para>
/// It changes the whole process: memory freed by tensors is kept for reuse (resident memory stays at its peak instead
/// of shrinking). Applications call it once at start (the <c>saliency</c> command does); a library should leave it to
/// them. Environment variables <c>MALLOC_MMAP_THRESHOLD_</c> and <c>MALLOC_TRIM_THRESHOLD_</c>, if set, win.
/// </para>
/// </remarks>
public static class NativeAllocator
{
    private const int MallocTrimThreshold = -1;
    private const int MallocMmapThreshold = -3;

    /// <summary>Blocks up to this size come from the heap, not from fresh <c>mmap</c>s (glibc's maximum: 32 MiB).</summary>
    public const int MmapThresholdBytes = 32 * 1024 * 1024;

    /// <summary>Free memory at the top of the heap is returned to the system only beyond this size (1 GiB).</summary>
    public const int TrimThresholdBytes = 1024 * 1024 * 1024;

    /// <summary>Whether <see cref="TuneForTensors"/> has tuned this process's allocator.</summary>
    public static bool IsTuned { get; private set; }

    /// <summary>Tunes glibc's allocator for repeated large tensor allocations; does nothing elsewhere.</summary>
    /// <returns>Whether the settings were applied (Linux with glibc, and not overridden by the environment).</returns>
    public static bool TuneForTensors()
    {
        if (!OperatingSystem.IsLinux()
            || Environment.GetEnvironmentVariable("MALLOC_MMAP_THRESHOLD_") is not null
            || Environment.GetEnvironmentVariable("MALLOC_TRIM_THRESHOLD_") is not null)
        {
            return false;
        }

        try
        {
            IsTuned |= mallopt(MallocMmapThreshold, MmapThresholdBytes) == 1 && mallopt(MallocTrimThreshold, TrimThresholdBytes) == 1;
            return IsTuned;
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            // Not glibc (musl has no mallopt): nothing to tune.
            return false;
        }
    }

    [DllImport("libc", EntryPoint = "mallopt", ExactSpelling = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int mallopt(int param, int value);
}
