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

    /// <summary>
    /// What glibc's allocator holds, summed over its arenas (<c>mallinfo2</c>): the bytes handed out and not yet freed
    /// (heap and <c>mmap</c>ed blocks), and the free bytes it keeps in its heaps. A leak grows the first; fragmentation
    /// and retention grow the second.
    /// </summary>
    /// <returns>The numbers, or <see langword="null"/> where the allocator is not glibc 2.33 or later.</returns>
    public static NativeHeapInfo? HeapInfo()
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        try
        {
            var info = mallinfo2();
            return new NativeHeapInfo((long)(info.Uordblks + info.Hblkhd), (long)info.Fordblks);
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            return null;
        }
    }

    [DllImport("libc", EntryPoint = "mallinfo2", ExactSpelling = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern MallInfo2 mallinfo2();

    [DllImport("libc", EntryPoint = "mallopt", ExactSpelling = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int mallopt(int param, int value);
}

/// <summary>What the C allocator holds (<see cref="NativeAllocator.HeapInfo"/>).</summary>
/// <param name="InUseBytes">Bytes allocated and not yet freed, in the heaps and in <c>mmap</c>ed blocks.</param>
/// <param name="FreeBytes">Free bytes the allocator keeps in its heaps for reuse.</param>
public readonly record struct NativeHeapInfo(long InUseBytes, long FreeBytes);

/// <summary>glibc's <c>struct mallinfo2</c> (all fields <c>size_t</c>).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct MallInfo2
{
    public nuint Arena;
    public nuint Ordblks;
    public nuint Smblks;
    public nuint Hblks;
    public nuint Hblkhd;
    public nuint Usmblks;
    public nuint Fsmblks;
    public nuint Uordblks;
    public nuint Fordblks;
    public nuint Keepcost;
}
