using System.Runtime.InteropServices;

namespace Saliency.Benchmarking;

/// <summary>
/// What glibc's allocator holds, summed over its arenas (<c>mallinfo2</c>), for the memory check: the bytes handed out
/// and not yet freed (heap and <c>mmap</c>ed blocks), and the free bytes it keeps in its heaps. A leak grows the first;
/// fragmentation and retention grow the second.
/// </summary>
internal static class NativeHeap
{
    /// <summary>Reads the allocator's counters.</summary>
    /// <returns>The numbers, or <see langword="null"/> where the allocator is not glibc 2.33 or later.</returns>
    public static NativeHeapInfo? Read()
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

    /// <summary>glibc's <c>struct mallinfo2</c> (all fields <c>size_t</c>).</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct MallInfo2
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
}

/// <summary>What the C allocator holds (<see cref="NativeHeap.Read"/>).</summary>
/// <param name="InUseBytes">Bytes allocated and not yet freed, in the heaps and in <c>mmap</c>ed blocks.</param>
/// <param name="FreeBytes">Free bytes the allocator keeps in its heaps for reuse.</param>
internal readonly record struct NativeHeapInfo(long InUseBytes, long FreeBytes);
