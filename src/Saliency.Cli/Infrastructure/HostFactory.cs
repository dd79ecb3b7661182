namespace Saliency.Cli.Infrastructure;

/// <summary>The saliency host of a command: the built-in methods from bin/plugins and any in SALIENCY_PLUGIN_PATH, no file watching.</summary>
internal static class HostFactory
{
    public static SaliencyHost Create(string device)
    {
        // An application may tune the process's allocator: explanations reuse large tensor memory (see NativeAllocator).
        NativeAllocator.TuneForTensors();
        return SaliencyHost.Create(new SaliencyHostOptions { Device = device, HotReload = false });
    }
}
