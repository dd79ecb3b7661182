using TorchSharp;
using static TorchSharp.torch;

namespace Saliency.Benchmarking;

/// <summary>
/// Runs saliency methods the way users do: <see cref="SaliencyHost.Explain(IExplainable, Tensor, ExplainRequest, CancellationToken)"/>
/// with the methods loaded from plugins, each item explained for its top class. The result is disposed at once.
/// </summary>
public sealed class MethodRunner : IDisposable
{
    private readonly bool _ownsHost;

    /// <summary>Wraps a host.</summary>
    /// <param name="host">The host serving the methods.</param>
    /// <param name="ownsHost">Whether disposing the runner disposes the host.</param>
    public MethodRunner(SaliencyHost host, bool ownsHost = false)
    {
        ArgumentNullException.ThrowIfNull(host);
        Host = host;
        _ownsHost = ownsHost;
    }

    /// <summary>The host.</summary>
    public SaliencyHost Host { get; }

    /// <summary>
    /// Creates a host for benchmarking: no hot reload (no file watcher running beside the measurements), the
    /// default plugin folder plus <paramref name="pluginDirectories"/>, on <paramref name="device"/>.
    /// </summary>
    /// <param name="device">The device name (<c>cpu</c>, <c>cuda</c>, <c>cuda:N</c>, <c>auto</c>).</param>
    /// <param name="pluginDirectories">Extra plugin directories.</param>
    /// <param name="kernelCheck">The host's kernel check (<see cref="SaliencyHostOptions.KernelCheck"/>).</param>
    /// <returns>A runner that owns its host.</returns>
    public static MethodRunner Create(string device, IReadOnlyList<string>? pluginDirectories = null, KernelCheckMode kernelCheck = KernelCheckMode.Auto)
    {
        var host = SaliencyHost.Create(new SaliencyHostOptions
        {
            Device = device,
            KernelCheck = kernelCheck,
            HotReload = false,
            PluginDirectories = pluginDirectories ?? [],
        });
        return new MethodRunner(host, ownsHost: true);
    }

    /// <summary>Checks that every method in <paramref name="methods"/> is loaded.</summary>
    /// <param name="methods">Method ids.</param>
    /// <exception cref="InvalidOperationException">One is missing; the message lists the plugin folders and what loaded.</exception>
    public void EnsureLoaded(IEnumerable<string> methods)
    {
        ArgumentNullException.ThrowIfNull(methods);
        var loaded = Host.Methods.Select(m => m.Id).ToHashSet(StringComparer.Ordinal);
        var missing = methods.Where(m => !loaded.Contains(m)).ToList();
        if (missing.Count > 0)
        {
            var plugins = Host.Plugins.Count == 0 ? "no plugin folders" : string.Join("; ", Host.Plugins.Select(p => $"{p.Name}: {p.Status}"));
            throw new InvalidOperationException(
                $"Method(s) {string.Join(", ", missing)} not loaded. Plugin directories: {string.Join(", ", Host.PluginDirectories)} ({plugins}). " +
                "Build the benchmark with DeploySaliencyPlugins=true so that the built-in methods are deployed to bin/plugins.");
        }
    }

    /// <summary>Explains <paramref name="input"/> with <paramref name="method"/> and disposes the result.</summary>
    /// <param name="model">The model.</param>
    /// <param name="input">The batch.</param>
    /// <param name="method">The method id.</param>
    public void Run(IExplainable model, Tensor input, string method)
    {
        using var result = Host.Explain(model, input, new ExplainRequest(method));
        if (result.Map.device_type == DeviceType.CUDA)
        {
            torch.cuda.synchronize(result.Map.device);
        }
    }

    /// <summary>Disposes the host if the runner owns it.</summary>
    public void Dispose()
    {
        if (_ownsHost)
        {
            Host.Dispose();
        }
    }
}
