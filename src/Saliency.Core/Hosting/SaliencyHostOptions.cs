using Microsoft.Extensions.Logging;

namespace Saliency;

/// <summary>How a <see cref="SaliencyHost"/> finds plugins, where it runs, and how careful it is.</summary>
public sealed record SaliencyHostOptions
{
    /// <summary>Extra plugin directories. Each holds one folder per plugin: <c>&lt;dir&gt;/&lt;Name&gt;/&lt;Name&gt;.dll</c>.</summary>
    public IReadOnlyList<string> PluginDirectories { get; init; } = [];

    /// <summary>Whether to load the <c>plugins</c> folder next to the host assembly (the built-in methods). Default true.</summary>
    public bool UseDefaultPluginDirectory { get; init; } = true;

    /// <summary>Whether to load the directories listed in <c>SALIENCY_PLUGIN_PATH</c> (separated like <c>PATH</c>). Default true.</summary>
    public bool UseEnvironmentPluginPath { get; init; } = true;

    /// <summary>The device to run on: <c>cpu</c>, <c>cuda</c>, <c>cuda:N</c> or <c>auto</c> (default). Models are moved there.</summary>
    public string Device { get; init; } = "auto";

    /// <summary>Whether to watch the plugin directories and swap in new or changed plugins while running. Default true.</summary>
    public bool HotReload { get; init; } = true;

    /// <summary>How long a plugin folder must stay quiet after a change before it is (re)loaded. Default 250 ms.</summary>
    public TimeSpan ReloadDelay { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// Whether to load from directories that group or others may write to (Unix). Plugins are code: by default such
    /// directories are refused, because anyone who can write there could run code in this process. The check is made
    /// on the real path (symlinks resolved) and on every folder above it; a folder with the sticky bit, such as
    /// <c>/tmp</c>, is accepted above a plugin directory.
    /// </summary>
    public bool AllowWritablePluginDirectories { get; init; }

    /// <summary>If set, only plugin assemblies whose SHA-256 (lower-case hex) is listed are loaded.</summary>
    public IReadOnlyCollection<string>? AllowedSha256 { get; init; }

    /// <summary>Whether explanations run the model in eval mode (its train/eval flags are restored afterwards). Default true.</summary>
    public bool EvalMode { get; init; } = true;

    /// <summary>
    /// Whether the device's convolution kernels are checked against float64 before the first explanation, and what
    /// happens when they are wrong: <see cref="KernelCheckMode.Auto"/> (default) turns oneDNN off for the process and
    /// warns, <see cref="KernelCheckMode.Strict"/> refuses, <see cref="KernelCheckMode.Off"/> skips the check.
    /// </summary>
    public KernelCheckMode KernelCheck { get; init; } = KernelCheckMode.Auto;

    /// <summary>The guard that runs the check (tests inject failures); the process's <see cref="KernelGuard.Default"/> when null.</summary>
    internal KernelGuard? KernelGuard { get; init; }

    /// <summary>Where the host logs plugin loads (with each assembly's SHA-256), reloads and failures.</summary>
    public ILogger? Logger { get; init; }
}
