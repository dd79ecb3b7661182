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
        return SaliencyHost.Create(new SaliencyHostOptions { Device = device, HotReload = false, KernelCheck = kernelCheck });
    }
}
