using System.Security.Cryptography;
using Microsoft.Extensions.Logging;

namespace Saliency;

/// <summary>
/// The state of every plugin folder (one folder per plugin, <c>&lt;Name&gt;/&lt;Name&gt;.dll</c>) and the steps that change
/// it: load a new version (checked by <see cref="PluginSecurity"/>, activated by <see cref="PluginActivator"/>,
/// published to the <see cref="MethodRegistry"/>), refuse one, remove one. A load that fails leaves the previous
/// version serving. What a step changed in the registry is reported through <c>changed</c> after the catalog's lock
/// is released, so that handlers may call back into the host.
/// </summary>
internal sealed class PluginCatalog : IDisposable
{
    private readonly SaliencyHostOptions _options;
    private readonly ILogger _logger;
    private readonly MethodRegistry _registry;
    private readonly Action<MethodChange> _changed;
    private readonly PluginSecurity _security;
    private readonly PluginWatcher? _watcher;
    private readonly object _gate = new();
    private readonly Dictionary<string, LoadedPlugin> _loaded = new(StringComparer.Ordinal);
    private readonly Dictionary<string, PluginInfo> _infos = new(StringComparer.Ordinal);
    private bool _disposed;

    /// <param name="roots">The plugin directories.</param>
    /// <param name="options">The host options.</param>
    /// <param name="logger">Where loads and failures are logged.</param>
    /// <param name="registry">Where loaded methods are published.</param>
    /// <param name="changed">Told what each load or removal changed, outside the catalog's lock.</param>
    public PluginCatalog(IReadOnlyList<string> roots, SaliencyHostOptions options, ILogger logger, MethodRegistry registry, Action<MethodChange> changed)
    {
        Roots = roots;
        _options = options;
        _logger = logger;
        _registry = registry;
        _changed = changed;
        _security = new PluginSecurity(options);
        _watcher = options.HotReload ? new PluginWatcher(options.ReloadDelay, logger, Load) : null;
    }

    public IReadOnlyList<string> Roots { get; }

    public IReadOnlyList<PluginInfo> Plugins
    {
        get
        {
            lock (_gate)
            {
                return [.. _infos.Values.OrderBy(p => p.Name, StringComparer.Ordinal)];
            }
        }
    }

    /// <summary>Loads every plugin found now and, with hot reload, starts watching.</summary>
    public void Start()
    {
        foreach (var root in Roots)
        {
            if (!Directory.Exists(root))
            {
                _logger.LogDebug("Plugin directory {Directory} does not exist; skipped", root);
                continue;
            }

            foreach (var folder in Directory.EnumerateDirectories(root).Order(StringComparer.Ordinal))
            {
                Load(root, folder);
            }

            _watcher?.Watch(root);
        }
    }

    /// <summary>A weak reference to the load context currently serving a plugin (for unload checks).</summary>
    public WeakReference? LoadContextOf(string name)
    {
        lock (_gate)
        {
            var plugin = _loaded.Values.FirstOrDefault(p => p.Name == name);
            return plugin is null ? null : new WeakReference(plugin.Loader.LoadContext);
        }
    }

    public void Dispose()
    {
        _watcher?.Dispose();
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            foreach (var plugin in _loaded.Values)
            {
                plugin.Dispose();
            }

            _loaded.Clear();
        }

        _security.Dispose();
    }

    /// <summary>Loads (or reloads, or removes) the plugin in <paramref name="folder"/>, then reports what changed.</summary>
    private void Load(string root, string folder)
    {
        MethodChange? change;
        lock (_gate)
        {
            change = _disposed ? null : LoadLocked(root, folder);
        }

        if (change is { IsEmpty: false })
        {
            _changed(change);
        }
    }

    private MethodChange? LoadLocked(string root, string folder)
    {
        var name = Path.GetFileName(folder);
        var assembly = Path.Combine(folder, name + ".dll");
        var owner = new MethodOwner(folder);
        if (!File.Exists(assembly))
        {
            return Directory.Exists(folder) ? null : Remove(owner, name);
        }

        _infos.TryGetValue(folder, out var previous);
        var version = (previous?.Version ?? 0) + 1;
        string? sha = null;
        LoadedPlugin? candidate = null;
        try
        {
            if (_security.InsecureReason(root, folder, assembly) is { } insecure)
            {
                return Refuse(owner, name, assembly, null, insecure, previous);
            }

            var shadow = _security.ShadowCopy(folder, name);
            var shadowAssembly = Path.Combine(shadow, name + ".dll");
            sha = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(shadowAssembly)));
            if (_security.DisallowedReason(sha) is { } disallowed)
            {
                PluginSecurity.TryDelete(shadow);
                return Refuse(owner, name, assembly, sha, disallowed, previous);
            }

            candidate = PluginActivator.Activate(name, version, shadow, shadowAssembly);
            var entries = candidate.Methods.Select(m => new MethodEntry(m, m.Descriptor, assembly, owner)).ToList();
            if (!_registry.TryPublish(owner, entries, out var change, out var conflict))
            {
                throw new SaliencyException(conflict!);
            }

            if (_loaded.Remove(folder, out var old))
            {
                old.Dispose();
            }

            _loaded[folder] = candidate;
            _watcher?.Loaded(folder);
            _infos[folder] = new PluginInfo(name, assembly, PluginStatus.Loaded, sha, [.. entries.Select(e => e.Descriptor.Id)], null, version);
            _logger.LogInformation(
                "Loaded plugin {Name} v{Version} from {Path} (SHA-256 {Sha256}): {Methods}",
                name, version, assembly, sha, string.Join(", ", entries.Select(e => e.Descriptor.Id)));
            return change;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            candidate?.Dispose();
            var reason = Describe(e);
            _loaded.TryGetValue(folder, out var serving);
            var still = serving is null ? string.Empty : $"; version {serving.Version} keeps serving";
            _infos[folder] = new PluginInfo(name, assembly, PluginStatus.Failed, sha, serving is null ? [] : previous?.Methods ?? [], reason, previous?.Version ?? 0);
            _logger.LogError("Plugin {Path} failed to load: {Reason}{Still}", assembly, reason, still);
            if (e is BadImageFormatException or IOException)
            {
                // Most likely still being written: try once more after the writes settle.
                _watcher?.Retry(root, folder);
            }

            return null;
        }
    }

    /// <summary>
    /// Refuses the plugin as it is now on disk. A version already loaded keeps serving: it was verified when it was
    /// loaded and runs from its private shadow copy, which the refused change cannot touch.
    /// </summary>
    private MethodChange? Refuse(MethodOwner owner, string name, string assembly, string? sha, string reason, PluginInfo? previous)
    {
        _loaded.TryGetValue(owner.Key, out var serving);
        var still = serving is null ? string.Empty : $"; version {serving.Version} (verified when loaded) keeps serving";
        _infos[owner.Key] = new PluginInfo(name, assembly, PluginStatus.Refused, sha, serving is null ? [] : previous?.Methods ?? [], reason + still, previous?.Version ?? 0);
        _logger.LogError("Plugin {Path} refused: {Reason}{Still}", assembly, reason, still);
        return null;
    }

    private MethodChange? Remove(MethodOwner owner, string name)
    {
        var change = Unload(owner);
        if (change is not null)
        {
            _logger.LogInformation("Plugin {Name} removed ({Folder} is gone)", name, owner.Key);
        }

        _infos.Remove(owner.Key);
        return change;
    }

    /// <summary>Withdraws the plugin's methods and unloads the version serving them, if any.</summary>
    private MethodChange? Unload(MethodOwner owner)
    {
        if (!_loaded.Remove(owner.Key, out var old))
        {
            return null;
        }

        var change = _registry.Withdraw(owner);
        old.Dispose();
        return change;
    }

    private static string Describe(Exception e) => e switch
    {
        BadImageFormatException => "it is not a valid .NET assembly (corrupt, or still being written)",
        FileLoadException or FileNotFoundException => $"it cannot be loaded ({e.Message})",
        SaliencyException => e.Message,
        _ => $"{e.GetType().Name}: {e.Message}",
    };
}
