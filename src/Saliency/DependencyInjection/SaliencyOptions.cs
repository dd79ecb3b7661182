namespace Saliency;

/// <summary>
/// The settings of the <see cref="SaliencyHost"/> that <c>services.AddSaliency()</c> registers, bound from the
/// configuration section <see cref="SectionName"/> (for example <c>Saliency:PluginDirectories:0</c>) and then from the
/// delegate given to <c>AddSaliency</c>. Each property means what the <see cref="SaliencyHostOptions"/> property of
/// the same name means.
/// </summary>
public sealed class SaliencyOptions
{
    /// <summary>The configuration section the options are bound from: <c>Saliency</c>.</summary>
    public const string SectionName = "Saliency";

    /// <summary>Extra plugin directories, each holding one folder per plugin (<c>&lt;dir&gt;/&lt;Name&gt;/&lt;Name&gt;.dll</c>).</summary>
    public IList<string> PluginDirectories { get; } = [];

    /// <summary>Whether to load the built-in methods from the <c>plugins</c> folder next to the application. Default true.</summary>
    public bool UseDefaultPluginDirectory { get; set; } = true;

    /// <summary>Whether to load the directories listed in <c>SALIENCY_PLUGIN_PATH</c>. Default true.</summary>
    public bool UseEnvironmentPluginPath { get; set; } = true;

    /// <summary>The device: <c>cpu</c>, <c>cuda</c>, <c>cuda:N</c> or <c>auto</c> (default).</summary>
    public string Device { get; set; } = "auto";

    /// <summary>Whether plugins dropped in, changed or removed while the application runs are swapped in. Default true.</summary>
    public bool HotReload { get; set; } = true;

    /// <summary>How long a plugin folder must stay quiet after a change before it is (re)loaded. Default 250 ms.</summary>
    public TimeSpan ReloadDelay { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Whether to load from directories that group or others may write to (Unix). Default false.</summary>
    public bool AllowWritablePluginDirectories { get; set; }

    /// <summary>If not empty, only plugin assemblies whose SHA-256 (lower-case hex) is listed are loaded.</summary>
    public IList<string> AllowedSha256 { get; } = [];

    /// <summary>Whether explanations run the model in eval mode. Default true.</summary>
    public bool EvalMode { get; set; } = true;

    /// <summary>How the device's convolution kernels are checked before the first explanation. Default <see cref="KernelCheckMode.Auto"/>.</summary>
    public KernelCheckMode KernelCheck { get; set; } = KernelCheckMode.Auto;

    /// <summary>The host options these settings make, logging to <paramref name="logger"/>.</summary>
    /// <param name="logger">Where the host logs plugin loads, reloads and failures.</param>
    /// <returns>The options for <see cref="SaliencyHost.Create(SaliencyHostOptions?)"/>.</returns>
    public SaliencyHostOptions ToHostOptions(Microsoft.Extensions.Logging.ILogger? logger) => new()
    {
        PluginDirectories = [.. PluginDirectories],
        UseDefaultPluginDirectory = UseDefaultPluginDirectory,
        UseEnvironmentPluginPath = UseEnvironmentPluginPath,
        Device = Device,
        HotReload = HotReload,
        ReloadDelay = ReloadDelay,
        AllowWritablePluginDirectories = AllowWritablePluginDirectories,
        AllowedSha256 = AllowedSha256.Count == 0 ? null : [.. AllowedSha256],
        EvalMode = EvalMode,
        KernelCheck = KernelCheck,
        Logger = logger,
    };
}
