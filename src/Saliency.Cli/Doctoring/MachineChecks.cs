using System.Globalization;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;
using Saliency.Cli.Infrastructure;
using TorchSharp;
using static TorchSharp.torch;

namespace Saliency.Cli.Doctoring;

/// <summary>How one finding reads: fine, worth knowing (works, with a cost or a risk), or broken.</summary>
internal enum Finding
{
    Ok,
    Note,
    Broken,
}

/// <summary>One line of <c>saliency doctor</c>: a verdict, what was found, and for anything not fine, what to do.</summary>
internal sealed record MachineCheck(Finding Finding, string Name, string Detail, string? Fix = null, IReadOnlyList<string>? Lines = null)
{
    public string Symbol => Finding switch
    {
        Finding.Ok => "✓",
        Finding.Note => "!",
        _ => "✗",
    };
}

/// <summary>
/// What <c>saliency doctor</c> checks, in order: runtime, libstdc++, TorchSharp and libtorch, the CPU and the cache
/// sizes it reports, oneDNN, the kernel self-check per device, threads, CUDA, plugins, allocator. Each check stands
/// alone; one that cannot run (TorchSharp does not load) is reported as such and the rest go on.
/// </summary>
internal static class MachineChecks
{
    public static IEnumerable<MachineCheck> Run(KernelCheckMode kernelCheck, string device)
    {
        yield return Runtime();
        if (OperatingSystem.IsLinux())
        {
            yield return Libstdcxx();
        }

        var torchError = TorchLoads();
        yield return Torch(torchError);
        yield return Cpu();
        if (torchError is not null)
        {
            yield break;
        }

        // As every explaining command does, tune the allocator first: the check then costs what it costs there.
        // The kernel check may turn oneDNN off: run it before the oneDNN line, which then tells the state it left.
        NativeAllocator.TuneForTensors();
        var kernels = Kernels(kernelCheck, device).ToList();
        yield return OneDnn();
        foreach (var check in kernels)
        {
            yield return check;
        }

        yield return Threads();
        yield return Cuda();
        foreach (var check in Plugins())
        {
            yield return check;
        }

        yield return Allocator();
    }

    private static MachineCheck Runtime() =>
        new(Finding.Ok, ".NET", $"{RuntimeInformation.FrameworkDescription} on {RuntimeInformation.RuntimeIdentifier} ({RuntimeInformation.OSDescription})");

    /// <summary>The libstdc++ this process mapped (the .NET runtime loads it), and whether it has the symbol libtorch needs.</summary>
    private static MachineCheck Libstdcxx()
    {
        var path = MappedLibrary("libstdc++.so") ?? new[] { "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/usr/lib/aarch64-linux-gnu/libstdc++.so.6", "/usr/lib64/libstdc++.so.6" }.FirstOrDefault(File.Exists);
        if (path is null)
        {
            return new(Finding.Broken, "libstdc++", "not found", "install libstdc++ from GCC 13 or newer");
        }

        return FileContains(path, TorchRuntime.RequiredGlibcxx)
            ? new(Finding.Ok, "libstdc++", $"{path} provides {TorchRuntime.RequiredGlibcxx}")
            : new(Finding.Broken, "libstdc++", $"{path} lacks {TorchRuntime.RequiredGlibcxx}, which libtorch 2.10 needs (GCC 13+ runtime)", "on Debian 12 run 'sudo eng/setup.sh' from the Saliency repository (libstdc++6 from Debian 13 behind a low apt pin); elsewhere install libstdc++ from GCC 13 or newer");
    }

    private static string? TorchLoads()
    {
        try
        {
            TorchRuntime.EnsureInitialized();
            return null;
        }
        catch (SaliencyNativeLibraryException e)
        {
            return e.Message;
        }
    }

    private static MachineCheck Torch(string? error)
    {
        var version = typeof(torch).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion?.Split('+')[0] ?? "?";
        if (error is not null)
        {
            return new(Finding.Broken, "TorchSharp", $"{version}: the native library does not load", error);
        }

        var backend = cuda.is_available() ? "CUDA" : "CPU";
        return new(Finding.Ok, "TorchSharp", $"{version}, libtorch {LibTorchNative.LibTorchVersion ?? torch.__version__}, {backend} backend");
    }

    private static MachineCheck Cpu()
    {
        var cpu = CpuInfo.Read();
        var cores = string.Create(CultureInfo.InvariantCulture, $"{Environment.ProcessorCount} logical cores");
        if (cpu is null)
        {
            return new(Finding.Ok, "CPU", $"{RuntimeInformation.ProcessArchitecture}, {cores}");
        }

        var extensions = cpu.Extensions.Count == 0 ? "no AVX2" : string.Join(", ", cpu.Extensions);
        var caches = cpu.ReportsSizes
            ? $"caches L1d {Size(cpu.L1Data)}, L2 {Size(cpu.L2)}, L3 {Size(cpu.L3)} ({cpu.Source})"
            : $"no cache sizes: {cpu.Source} reads zero{(cpu.LegacyL1Data > 0 ? $" (the older leaf 0x80000005 says L1d {Size(cpu.LegacyL1Data)})" : string.Empty)}";
        var detail = $"{cpu.Model} ({cpu.Vendor}), {cores}; {extensions}; {caches}";
        return cpu.ReportsSizes
            ? new(Finding.Ok, "CPU", detail)
            : new(Finding.Note, "CPU", detail, "nothing to do here: oneDNN sizes its convolution blocks from these caches, and the kernel check below decides whether its numbers are right; a VM configured to pass the host's cache topology through needs no route around them");
    }

    private static MachineCheck OneDnn()
    {
        var version = LibTorchNative.OneDnnVersion ?? "version unknown";
        return LibTorchNative.HasOneDnn switch
        {
            false => new(Finding.Ok, "oneDNN", "not in this libtorch build"),
            null => new(Finding.Note, "oneDNN", "state unknown: this libtorch does not expose the switch", "the kernel check still decides whether the numbers are right"),
            _ => LibTorchNative.IsOneDnnEnabled == false
                ? new(Finding.Note, "oneDNN", $"{version}, off for this process{(LibTorchNative.IsNnpackEnabled == false ? " with NNPACK" : string.Empty)}: its kernels failed the self-check; {KernelGuard.OneDnnOffCost}")
                : new(Finding.Ok, "oneDNN", $"{version}, on"),
        };
    }

    private static IEnumerable<MachineCheck> Kernels(KernelCheckMode mode, string device)
    {
        var devices = new List<Device> { new(DeviceType.CPU) };
        if (cuda.is_available() && device != "cpu")
        {
            devices.AddRange(Enumerable.Range(0, cuda.device_count()).Select(i => new Device(DeviceType.CUDA, i)));
        }

        foreach (var target in devices)
        {
            yield return Kernel(target, mode == KernelCheckMode.Off ? KernelCheckMode.Auto : mode);
        }
    }

    private static MachineCheck Kernel(Device device, KernelCheckMode mode)
    {
        var name = $"kernels {device}";
        try
        {
            var status = KernelGuard.Default.Ensure(device, mode)!;
            var time = string.Create(CultureInfo.InvariantCulture, $"{status.Initial.Elapsed.TotalMilliseconds:0} ms");
            var again = string.Create(CultureInfo.InvariantCulture, $"{status.Final.Elapsed.TotalMilliseconds:0} ms");
            return status.Route switch
            {
                KernelRoute.OneDnnCacheSizesRepaired => new(Finding.Note, name, $"wrong with oneDNN as it was: {status.Initial.Summary}; right once oneDNN was given usable cache sizes: {status.Final.Summary}; checked in {time}, again in {again}", "nothing to do: explanations are correct, at oneDNN's speed", ShapeLines(status.Initial, status.Final, "with usable cache sizes")),
                KernelRoute.OneDnnDisabled => new(Finding.Note, name, $"wrong with oneDNN: {status.Initial.Summary}; right with oneDNN off: {status.Final.Summary}; checked in {time}, again in {again}", $"nothing to do: explanations are correct, and {KernelGuard.OneDnnOffCost}", ShapeLines(status.Initial, status.Final, "with oneDNN off")),
                _ => new(Finding.Ok, name, $"float32 matches float64: {status.Final.Summary}; checked in {time}", Lines: ShapeLines(status.Final, null)),
            };
        }
        catch (KernelCheckException e)
        {
            var fix = e.Status.Route == KernelRoute.None && mode == KernelCheckMode.Strict
                ? "run with --kernel-check auto to turn oneDNN off for the process"
                : "Saliency refuses to explain on this device: use another device or machine";
            return new(Finding.Broken, name, e.Message, fix, ShapeLines(e.Status.Initial, ReferenceEquals(e.Status.Final, e.Status.Initial) ? null : e.Status.Final, "with oneDNN off"));
        }
    }

    /// <summary>Per shape, the worst error over thread counts and quantities; with a second report, before → after (<paramref name="route"/>).</summary>
    private static List<string> ShapeLines(KernelCheckReport first, KernelCheckReport? second, string route = "")
    {
        static KernelCheckCase Worst(KernelCheckReport report, KernelCheckShape shape) =>
            report.Cases.Where(c => c.Shape == shape).MaxBy(c => double.IsNaN(c.WorstError) ? double.PositiveInfinity : c.WorstError)!;

        var lines = new List<string>();
        foreach (var shape in first.Cases.Select(c => c.Shape).Distinct())
        {
            var before = Worst(first, shape);
            var text = string.Create(CultureInfo.InvariantCulture, $"{shape}: {before.WorstError:G2} ({before.WorstQuantity}, {before.Threads} thread{(before.Threads == 1 ? string.Empty : "s")})");
            if (second is not null)
            {
                text += string.Create(CultureInfo.InvariantCulture, $" → {Worst(second, shape).WorstError:G2} {route}");
            }

            lines.Add(text);
        }

        return lines;
    }

    private static MachineCheck Threads()
    {
        var (intra, inter, cores) = (torch.get_num_threads(), torch.get_num_interop_threads(), Environment.ProcessorCount);
        var omp = Environment.GetEnvironmentVariable("OMP_NUM_THREADS") is { } value ? $"OMP_NUM_THREADS={value}" : "OMP_NUM_THREADS unset";
        var detail = string.Create(CultureInfo.InvariantCulture, $"libtorch {intra} intra-op, {inter} inter-op; {cores} logical cores; {omp}");
        return intra > cores
            ? new(Finding.Note, "threads", detail, "more libtorch threads than cores slow every pass: set OMP_NUM_THREADS or torch.set_num_threads to the core count")
            : new(Finding.Ok, "threads", detail);
    }

    private static MachineCheck Cuda()
    {
        if (!cuda.is_available())
        {
            return new(Finding.Ok, "CUDA", "not available: explanations run on the CPU (a GPU needs an NVIDIA driver and a build with -p:TorchBackend=cuda)");
        }

        var count = cuda.device_count();
        return new(Finding.Ok, "CUDA", string.Create(CultureInfo.InvariantCulture, $"{count} device(s): {string.Join(", ", Enumerable.Range(0, count).Select(i => $"cuda:{i}"))}; cuDNN {(cuda.is_cudnn_available() ? "available" : "not available")}"));
    }

    private static IEnumerable<MachineCheck> Plugins()
    {
        using var host = HostFactory.Create("cpu");
        var directories = string.Join(", ", host.PluginDirectories);
        if (host.Methods.Count == 0)
        {
            yield return new(Finding.Broken, "plugins", $"no methods loaded from {directories}", $"build the solution (./build.sh), or point {SaliencyHost.PluginPathVariable} at a folder of <Name>/<Name>.dll plugin folders");
        }
        else
        {
            yield return new(Finding.Ok, "plugins", $"{host.Methods.Count} methods ({string.Join(", ", host.Methods.Select(m => m.Id))}) from {directories}");
        }

        foreach (var plugin in host.Plugins.Where(p => p.Status != PluginStatus.Loaded))
        {
            yield return new(Finding.Broken, $"plugin {plugin.Name}", $"{plugin.Status}: {plugin.Error}", $"rebuild or remove {plugin.Path}; the other plugins are served");
        }
    }

    private static MachineCheck Allocator()
    {
        var arenas = Environment.GetEnvironmentVariable("MALLOC_ARENA_MAX") is { } value ? $"MALLOC_ARENA_MAX={value}" : "MALLOC_ARENA_MAX unset";
        return new(Finding.Ok, "allocator", NativeAllocator.IsTuned
            ? $"glibc tuned for tensors (mmap threshold {NativeAllocator.MmapThresholdBytes / (1024 * 1024)} MiB, trim threshold {NativeAllocator.TrimThresholdBytes / (1024 * 1024 * 1024)} GiB, as the saliency command runs); {arenas}"
            : $"default (not tuned: not glibc, or MALLOC_* thresholds set in the environment); {arenas}");
    }

    private static string? MappedLibrary(string name)
    {
        const string maps = "/proc/self/maps";
        if (!File.Exists(maps))
        {
            return null;
        }

        return File.ReadLines(maps)
            .Select(line => line.IndexOf('/', StringComparison.Ordinal) is var slash and >= 0 ? line[slash..] : null)
            .FirstOrDefault(path => path is not null && Path.GetFileName(path).StartsWith(name, StringComparison.Ordinal));
    }

    private static bool FileContains(string path, string text)
    {
        var needle = Encoding.ASCII.GetBytes(text);
        return File.ReadAllBytes(path).AsSpan().IndexOf(needle) >= 0;
    }

    private static string Size(long bytes) => bytes switch
    {
        0 => "?",
        >= 1024 * 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024):0.#} MiB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:0.#} KiB"),
    };
}
