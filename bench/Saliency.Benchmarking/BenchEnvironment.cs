using System.Globalization;
using System.Reflection;
using System.Runtime.InteropServices;
using TorchSharp;

namespace Saliency.Benchmarking;

/// <summary>The machine and software a measurement ran on, printed with every table.</summary>
/// <param name="Cpu">The CPU model (from <c>/proc/cpuinfo</c> on Linux).</param>
/// <param name="LogicalCores">Logical processors visible to the process.</param>
/// <param name="MemoryGiB">Physical memory in GiB, if known.</param>
/// <param name="Os">The operating system.</param>
/// <param name="DotNet">The .NET runtime.</param>
/// <param name="TorchSharp">The TorchSharp assembly version.</param>
/// <param name="LibTorch">The libtorch version TorchSharp reports.</param>
/// <param name="TorchVision">The TorchVision assembly version.</param>
/// <param name="Saliency">The Saliency.Core assembly version.</param>
/// <param name="Device">The device measured.</param>
/// <param name="Threads">libtorch intra-op threads (<c>torch.get_num_threads()</c>).</param>
/// <param name="InteropThreads">libtorch inter-op threads.</param>
/// <param name="AllocatorTuned">Whether glibc's allocator was tuned for tensors (<see cref="NativeAllocator"/>).</param>
/// <param name="Kernels">The convolution backend and the kernel self-check's verdict on the device measured.</param>
public sealed record BenchEnvironment(
    string Cpu,
    int LogicalCores,
    double? MemoryGiB,
    string Os,
    string DotNet,
    string TorchSharp,
    string LibTorch,
    string TorchVision,
    string Saliency,
    string Device,
    int Threads,
    int InteropThreads,
    bool AllocatorTuned,
    string Kernels)
{
    /// <summary>Reads the environment of this process.</summary>
    /// <param name="device">The device measured.</param>
    /// <returns>The environment.</returns>
    public static BenchEnvironment Capture(string device)
    {
        TorchRuntime.EnsureInitialized();
        return new BenchEnvironment(
            CpuModel(),
            Environment.ProcessorCount,
            ProcessMemory.TotalGiB(),
            RuntimeInformation.OSDescription,
            RuntimeInformation.FrameworkDescription,
            VersionOf(typeof(torch).Assembly),
            torch.__version__,
            VersionOf(typeof(torchvision).Assembly),
            VersionOf(typeof(SaliencyHost).Assembly),
            device,
            torch.get_num_threads(),
            torch.get_num_interop_threads(),
            NativeAllocator.IsTuned,
            DescribeKernels(DeviceSelector.Parse(device)));
    }

    /// <summary>
    /// oneDNN's state and the kernel self-check's verdict, e.g. <c>oneDNN v3.7.1 off (self-check: wrong with it …;
    /// right without it …)</c>, or <c>self-check off</c> when it was not run.
    /// </summary>
    /// <param name="device">The device measured.</param>
    /// <returns>One line.</returns>
    public static string DescribeKernels(torch.Device device)
    {
        ArgumentNullException.ThrowIfNull(device);
        var cpu = device.type == DeviceType.CPU;
        var version = LibTorchNative.OneDnnVersion is { } v ? $" {v}" : string.Empty;
        var state = LibTorchNative.IsOneDnnEnabled switch { true => "on", false => "off", null => "state unknown" };
        var oneDnn = cpu ? $"oneDNN{version} {state}; " : string.Empty;
        return KernelGuard.Default.StatusOf(device) switch
        {
            null => $"{oneDnn}self-check off (numbers unverified)",
            { Route: KernelRoute.OneDnnCacheSizesRepaired } status => $"{oneDnn}self-check failed with oneDNN as loaded ({status.Initial.Summary}), passed once oneDNN was given usable cache sizes ({status.Final.Summary})",
            { Route: KernelRoute.OneDnnDisabled } status => $"{oneDnn}self-check failed with oneDNN ({status.Initial.Summary}), passed without it ({status.Final.Summary})",
            { } status => $"{oneDnn}self-check {(status.IsCorrect ? "passed" : "failed")} ({status.Final.Summary})",
        };
    }

    /// <summary>One line per fact, for the text report.</summary>
    /// <returns>The lines.</returns>
    public IEnumerable<(string Name, string Value)> Facts()
    {
        yield return ("machine", $"{Cpu}, {LogicalCores} logical cores{(MemoryGiB is { } gib ? string.Create(CultureInfo.InvariantCulture, $", {gib:0.#} GiB") : string.Empty)}");
        yield return ("os", Os);
        yield return ("runtime", DotNet);
        yield return ("torch", $"TorchSharp {TorchSharp}, libtorch {LibTorch}, TorchVision {TorchVision}");
        yield return ("saliency", Saliency);
        yield return ("device", Device);
        yield return ("threads", string.Create(CultureInfo.InvariantCulture, $"torch.set_num_threads({Threads}), interop {InteropThreads}"));
        yield return ("allocator", AllocatorTuned
            ? "glibc tuned for tensors (NativeAllocator.TuneForTensors: mmap threshold 32 MiB, trim threshold 1 GiB)"
            : "default");
    }

    private static string VersionOf(Assembly assembly)
    {
        var informational = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
        var version = informational ?? assembly.GetName().Version?.ToString() ?? "?";
        var plus = version.IndexOf('+', StringComparison.Ordinal);
        return plus > 0 ? version[..plus] : version;
    }

    private static string CpuModel()
    {
        const string cpuinfo = "/proc/cpuinfo";
        if (File.Exists(cpuinfo))
        {
            foreach (var line in File.ReadLines(cpuinfo))
            {
                if (line.StartsWith("model name", StringComparison.Ordinal) && line.IndexOf(':', StringComparison.Ordinal) is var colon and > 0)
                {
                    return line[(colon + 1)..].Trim();
                }
            }
        }

        return RuntimeInformation.ProcessArchitecture.ToString();
    }
}
