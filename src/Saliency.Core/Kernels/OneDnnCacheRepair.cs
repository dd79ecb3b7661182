using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;

namespace Saliency;

/// <summary>
/// The fast route around oneDNN's wrong convolution kernels on CPUs that hide their cache sizes: oneDNN 3.7.1 (inside
/// libtorch 2.10) reads the per-core cache sizes from its private copy of Xbyak's CPU description, filled on AMD from
/// CPUID leaf 0x8000001D without a zero check, and blocks its kernels for 1-byte caches. Setting that description's
/// cache-level count to 0 makes oneDNN use its built-in sizes (what it does on CPUs it cannot query), and flushing its
/// primitive cache drops the kernels built before. Measured on an affected VM: every bad shape correct, at full speed.
/// </summary>
/// <remarks>
/// <para>The object is private to libtorch, so this is done only for libtorch builds whose layout was read from
/// their symbol table and checked here: the library is recognised by its GNU build ID, its load address is taken
/// from <c>/proc/self/maps</c>, and the first bytes of every function called are compared with the file before the
/// call. Anything unexpected — another build, another OS or architecture, a field whose value is not a plausible
/// level count — leaves the process untouched and answers <see langword="null"/>.</para>
/// <para>Whether it worked is not decided here: <see cref="KernelGuard"/> runs the self-check again afterwards and
/// falls back to turning oneDNN off when it still fails.</para>
/// </remarks>
internal static unsafe class OneDnnCacheRepair
{
    /// <summary>libtorch builds whose oneDNN layout is known (offsets are virtual addresses in the file).</summary>
    private static readonly KnownBuild[] s_builds =
    [
        // libtorch-cpu-linux-x64 2.10.0 (TorchSharp-cpu 0.107.0), oneDNN v3.7.1: from the .symtab of libtorch_cpu.so
        // (dnnl::impl::cpu::x64::cpu(), its static cpu_, dnnl_{get,set}_primitive_cache_capacity) and the disassembly
        // of dnnl::impl::cpu::platform::get_per_core_cache_size, which reads the level count at cpu_+0x6c and falls
        // back to built-in sizes when it is 0.
        new("e59a73f8ca02c19463bd923dc568ce765b2a1106", "libtorch 2.10.0 (oneDNN v3.7.1)", CpuFunction: 0xf89b1a0, CpuObject: 0x1585b180, LevelsOffset: 0x6c, GetCapacity: 0x1129db70, SetCapacity: 0x1129e7f0),
    ];

    /// <summary>
    /// Makes oneDNN use its built-in cache sizes and drops its cached kernels, when the loaded libtorch is a known build.
    /// </summary>
    /// <returns>What was done, in words (for the guard's warning), or <see langword="null"/> when nothing was.</returns>
    internal static string? TryApply()
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64)
        {
            return null;
        }

        try
        {
            return Apply();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or InvalidDataException or ArgumentException)
        {
            return null;
        }
    }

    private static string? Apply()
    {
        TorchRuntime.EnsureInitialized();
        if (FindLoaded("libtorch_cpu.so") is not { } loaded)
        {
            return null;
        }

        var elf = ElfFile.Read(loaded.Path);
        if (elf is null || s_builds.FirstOrDefault(b => b.BuildId == elf.BuildId) is not { } build)
        {
            return null;
        }

        var cpuFunction = loaded.Base + build.CpuFunction;
        var getCapacity = loaded.Base + build.GetCapacity;
        var setCapacity = loaded.Base + build.SetCapacity;
        if (!elf.CodeMatches(loaded.Base, [build.CpuFunction, build.GetCapacity, build.SetCapacity]))
        {
            return null;
        }

        // cpu() constructs the object on first use and returns it: its address proves the load address too.
        var cpu = ((delegate* unmanaged<nint>)cpuFunction)();
        if (cpu != loaded.Base + build.CpuObject)
        {
            return null;
        }

        var levels = (uint*)(cpu + build.LevelsOffset);
        var before = *levels;
        if (before > 10)
        {
            return null;
        }

        int capacity;
        if (((delegate* unmanaged<int*, int>)getCapacity)(&capacity) != 0 || capacity < 0)
        {
            return null;
        }

        *levels = 0;

        // Kernels built with the old sizes (the failed self-check built some) stay cached and wrong: drop them.
        var set = (delegate* unmanaged<int, int>)setCapacity;
        if (set(0) != 0 || set(capacity) != 0)
        {
            *levels = before;
            return null;
        }

        return string.Create(CultureInfo.InvariantCulture, $"gave oneDNN the cache sizes it assumes when a CPU reports none ({build.Name}, build {build.BuildId[..8]}; {before} level(s) read before)");
    }

    /// <summary>The path and load address of a shared library mapped into this process, from <c>/proc/self/maps</c>.</summary>
    private static (string Path, nint Base)? FindLoaded(string fileName)
    {
        foreach (var line in File.ReadLines("/proc/self/maps"))
        {
            // start-end perms offset dev inode path
            var fields = line.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 6 || Path.GetFileName(fields[5]) != fileName || fields[2].Trim('0').Length != 0)
            {
                continue;
            }

            var start = long.Parse(fields[0].AsSpan(0, fields[0].IndexOf('-')), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            return (fields[5].Trim(), (nint)start);
        }

        return null;
    }

    private sealed record KnownBuild(string BuildId, string Name, long CpuFunction, long CpuObject, int LevelsOffset, long GetCapacity, long SetCapacity);

    /// <summary>What is read from the library file: its build ID and its loadable segments.</summary>
    private sealed class ElfFile
    {
        private const int ComparedBytes = 32;

        private readonly string _path;
        private readonly List<(long VirtualAddress, long FileOffset, long FileSize)> _loads;

        private ElfFile(string path, string buildId, List<(long, long, long)> loads)
        {
            _path = path;
            BuildId = buildId;
            _loads = loads;
        }

        public string BuildId { get; }

        /// <summary>Reads an x86-64 little-endian ELF file's program headers and its GNU build ID, or <see langword="null"/>.</summary>
        public static ElfFile? Read(string path)
        {
            using var file = File.OpenRead(path);
            var header = new byte[64];
            if (file.Read(header) != header.Length || header[0] != 0x7F || header[1] != (byte)'E' || header[2] != (byte)'L' || header[3] != (byte)'F' || header[4] != 2 || header[5] != 1)
            {
                return null;
            }

            var phOffset = BinaryPrimitives.ReadInt64LittleEndian(header.AsSpan(32));
            var phSize = BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(54));
            var phCount = BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(56));
            if (phSize < 56 || phCount == 0 || phCount > 64)
            {
                return null;
            }

            var table = new byte[phSize * phCount];
            file.Position = phOffset;
            file.ReadExactly(table);
            var loads = new List<(long, long, long)>();
            string? buildId = null;
            for (var i = 0; i < phCount; i++)
            {
                var entry = table.AsSpan(i * phSize, phSize);
                var type = BinaryPrimitives.ReadUInt32LittleEndian(entry);
                var offset = BinaryPrimitives.ReadInt64LittleEndian(entry[8..]);
                var address = BinaryPrimitives.ReadInt64LittleEndian(entry[16..]);
                var size = BinaryPrimitives.ReadInt64LittleEndian(entry[32..]);
                if (type == 1)
                {
                    loads.Add((address, offset, size));
                }
                else if (type == 4 && size is > 0 and < 4096)
                {
                    buildId ??= ReadBuildId(file, offset, (int)size);
                }
            }

            return buildId is null || loads.Count == 0 || loads[0].Item1 != 0 ? null : new ElfFile(path, buildId, loads);
        }

        /// <summary>Whether the first bytes of each function at <paramref name="addresses"/> in memory are those in the file.</summary>
        public bool CodeMatches(nint loadBase, long[] addresses)
        {
            using var file = File.OpenRead(_path);
            var expected = new byte[ComparedBytes];
            foreach (var address in addresses)
            {
                var segment = _loads.FirstOrDefault(l => address >= l.VirtualAddress && address + ComparedBytes <= l.VirtualAddress + l.FileSize);
                if (segment.FileSize == 0)
                {
                    return false;
                }

                file.Position = segment.FileOffset + (address - segment.VirtualAddress);
                file.ReadExactly(expected);
                if (!new ReadOnlySpan<byte>((void*)(loadBase + (nint)address), ComparedBytes).SequenceEqual(expected))
                {
                    return false;
                }
            }

            return true;
        }

        private static string? ReadBuildId(FileStream file, long offset, int size)
        {
            var notes = new byte[size];
            file.Position = offset;
            file.ReadExactly(notes);
            var at = 0;
            while (at + 12 <= size)
            {
                var nameSize = (int)BinaryPrimitives.ReadUInt32LittleEndian(notes.AsSpan(at));
                var descSize = (int)BinaryPrimitives.ReadUInt32LittleEndian(notes.AsSpan(at + 4));
                var type = BinaryPrimitives.ReadUInt32LittleEndian(notes.AsSpan(at + 8));
                var name = at + 12;
                var desc = name + Align4(nameSize);
                if (nameSize < 0 || descSize < 0 || desc + descSize > size)
                {
                    return null;
                }

                if (type == 3 && nameSize == 4 && notes.AsSpan(name, 4).SequenceEqual("GNU\0"u8))
                {
                    return Convert.ToHexStringLower(notes, desc, descSize);
                }

                at = desc + Align4(descSize);
            }

            return null;
        }

        private static int Align4(int value) => (value + 3) & ~3;
    }
}
