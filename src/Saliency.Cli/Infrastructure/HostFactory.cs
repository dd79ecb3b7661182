using TorchSharp;

namespace Saliency.Cli.Infrastructure;

/// <summary>The saliency host of a command: the built-in methods from bin/plugins and any in SALIENCY_PLUGIN_PATH, no file watching.</summary>
internal static class HostFactory
{
    /// <summary>A host that lists methods and plugins; it explains nothing, so its kernels are not checked.</summary>
    public static SaliencyHost Create(string device) => Create(device, KernelCheckMode.Off);

    /// <summary>
    /// A host that explains: its device's convolution kernels are checked before the first image, and a route around
    /// broken ones is reported as one warning line on stderr (the results carry it too; the CLI says it once).
    /// </summary>
    public static SaliencyHost Create(string device, string kernelCheck, CliConsole console)
    {
        var host = Create(device, KernelCheckOption.Parse(kernelCheck));
        try
        {
            if (host.CheckKernels()?.Warning is { } warning)
            {
                console.Warn(warning);
            }

            return host;
        }
        catch
        {
            host.Dispose();
            throw;
        }
    }

    private static SaliencyHost Create(string device, KernelCheckMode kernelCheck)
    {
        // An application may tune the process's allocator: explanations reuse large tensor memory (see NativeAllocator).
        NativeAllocator.TuneForTensors();
        return SaliencyHost.Create(new SaliencyHostOptions { Device = Checked(device), HotReload = false, KernelCheck = kernelCheck });
    }

    /// <summary>
    /// The <c>--device</c> value, resolved here first so that a CUDA device this machine or build cannot use is
    /// reported with the option to change and, without CUDA, the build switch (the library's message names neither).
    /// </summary>
    private static string Checked(string device)
    {
        try
        {
            _ = DeviceSelector.Parse(device);
            return device;
        }
        catch (ArgumentException e) when (device.Trim().StartsWith("cuda", StringComparison.OrdinalIgnoreCase))
        {
            var reason = e.ParamName is null ? e.Message : e.Message.Replace($" (Parameter '{e.ParamName}')", string.Empty, StringComparison.Ordinal);
            var build = torch.cuda.is_available() ? string.Empty : "; for CUDA, build saliency with -p:TorchBackend=cuda";
            throw new ArgumentException($"{reason} Use --device cpu or --device auto{build}.", e);
        }
    }
}
