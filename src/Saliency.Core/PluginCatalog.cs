using System.Reflection;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using McMaster.NETCore.Plugins;
using Microsoft.Extensions.Logging;
using TorchSharp;

namespace Saliency;

/// <summary>A method served by the host, with where it came from.</summary>
internal sealed record MethodEntry(ISaliencyMethod Method, MethodDescriptor Descriptor, string Source);

/// <summary>
/// Loads method plugins from directories (one folder per plugin, <c>&lt;Name&gt;/&lt;Name&gt;.dll</c>), each into its own
/// collectible load context that shares the contract and TorchSharp with the host, and watches the directories to
/// swap in new and changed plugins. A load that fails leaves the previous version serving.
/// </summary>
/// <remarks>
/// Each version is shadow-copied into a private folder before it is hashed and loaded, so the bytes that are
/// checked against the allow-list are the bytes that run, and a plugin being rewritten is never loaded half-written
/// from under the host.
/// </remarks>
internal sealed partial class PluginCatalog : IDisposable
{
    private static readonly Type[] s_sharedTypes = [typeof(ISaliencyMethod), typeof(torch)];

    private readonly SaliencyHostOptions _options;
    private readonly ILogger _logger;
    private readonly Action<string, IReadOnlyList<MethodEntry>?> _publish;
    private readonly object _gate = new();
    private readonly Dictionary<string, LoadedPlugin> _loaded = new(StringComparer.Ordinal);
    private readonly Dictionary<string, PluginInfo> _infos = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Timer> _pending = new(StringComparer.Ordinal);
    private readonly HashSet<string> _retried = new(StringComparer.Ordinal);
    private readonly List<FileSystemWatcher> _watchers = [];
    private readonly string _shadowRoot;
    private int _shadowCounter;
    private bool _disposed;

    /// <param name="roots">The plugin directories.</param>
    /// <param name="options">The host options.</param>
    /// <param name="logger">Where loads and failures are logged.</param>
    /// <param name="publish">
    /// Called under the catalog's lock when a plugin folder's methods change: (plugin folder, methods or null when
    /// removed). It throws <see cref="SaliencyException"/> to reject a version (for example, a duplicate method id).
    /// </param>
    public PluginCatalog(IReadOnlyList<string> roots, SaliencyHostOptions options, ILogger logger, Action<string, IReadOnlyList<MethodEntry>?> publish)
    {
        Roots = roots;
        _options = options;
        _logger = logger;
        _publish = publish;
        _shadowRoot = Path.Combine(Path.GetTempPath(), $"saliency-plugins-{Environment.ProcessId}-{Guid.NewGuid():N}");
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

            if (_options.HotReload)
            {
                Watch(root);
            }
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
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            foreach (var watcher in _watchers)
            {
                watcher.Dispose();
            }

            foreach (var timer in _pending.Values)
            {
                timer.Dispose();
            }

            foreach (var plugin in _loaded.Values)
            {
                plugin.Loader.Dispose();
            }

            _loaded.Clear();
        }

        TryDelete(_shadowRoot);
    }

    private void Watch(string root)
    {
        var watcher = new FileSystemWatcher(root)
        {
            IncludeSubdirectories = true,
            NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.LastWrite | NotifyFilters.Size,
        };
        FileSystemEventHandler changed = (_, e) => Schedule(root, e.FullPath);
        watcher.Created += changed;
        watcher.Changed += changed;
        watcher.Deleted += changed;
        watcher.Renamed += (_, e) =>
        {
            Schedule(root, e.OldFullPath);
            Schedule(root, e.FullPath);
        };
        watcher.Error += (_, e) => _logger.LogWarning(e.GetException(), "Watching plugin directory {Directory} failed; changes may be missed", root);
        watcher.EnableRaisingEvents = true;
        _watchers.Add(watcher);
    }

    private void Schedule(string root, string changedPath, TimeSpan? delay = null, bool retry = false)
    {
        var relative = Path.GetRelativePath(root, changedPath);
        var first = relative.Split(Path.DirectorySeparatorChar, 2)[0];
        if (first is "." or ".." || first.Length == 0)
        {
            return;
        }

        var folder = Path.Combine(root, first);
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            var due = delay ?? _options.ReloadDelay;
            if (_pending.TryGetValue(folder, out var timer))
            {
                timer.Change(due, Timeout.InfiniteTimeSpan);
                return;
            }

            if (!retry)
            {
                // A new change: a later failure may be retried once again.
                _retried.Remove(folder);
            }

            _pending[folder] = new Timer(_ => Fire(root, folder), null, due, Timeout.InfiniteTimeSpan);
        }
    }

    private void Fire(string root, string folder)
    {
        lock (_gate)
        {
            if (_pending.Remove(folder, out var timer))
            {
                timer.Dispose();
            }
        }

        try
        {
            Load(root, folder);
        }
        catch (Exception e)
        {
            // Never let a watcher thread take the process down.
            _logger.LogError(e, "Reloading plugin folder {Folder} failed unexpectedly", folder);
        }
    }

    private void Load(string root, string folder)
    {
        var name = Path.GetFileName(folder);
        var assembly = Path.Combine(folder, name + ".dll");
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            if (!File.Exists(assembly))
            {
                if (!Directory.Exists(folder))
                {
                    Remove(folder, name);
                }

                return;
            }

            var version = (_infos.TryGetValue(folder, out var previous) ? previous.Version : 0) + 1;
            string? sha = null;
            LoadedPlugin? candidate = null;
            try
            {
                if (InsecureReason(root, folder, assembly) is { } insecure)
                {
                    Refuse(folder, name, assembly, null, insecure, previous);
                    return;
                }

                var shadow = ShadowCopy(folder, name);
                var shadowAssembly = Path.Combine(shadow, name + ".dll");
                sha = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(shadowAssembly)));
                if (_options.AllowedSha256 is { } allowed && !allowed.Contains(sha, StringComparer.OrdinalIgnoreCase))
                {
                    TryDelete(shadow);
                    Refuse(folder, name, assembly, sha, $"its SHA-256 {sha} is not in the allow-list", previous);
                    return;
                }

                candidate = Instantiate(name, version, shadow, shadowAssembly);
                var entries = candidate.Methods.Select(m => new MethodEntry(m, m.Descriptor, assembly)).ToList();
                _publish(folder, entries);

                if (_loaded.Remove(folder, out var old))
                {
                    old.Dispose();
                }

                _loaded[folder] = candidate;
                _retried.Remove(folder);
                _infos[folder] = new PluginInfo(name, assembly, PluginStatus.Loaded, sha, [.. entries.Select(e => e.Descriptor.Id)], null, version);
                _logger.LogInformation(
                    "Loaded plugin {Name} v{Version} from {Path} (SHA-256 {Sha256}): {Methods}",
                    name, version, assembly, sha, string.Join(", ", entries.Select(e => e.Descriptor.Id)));
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                candidate?.Dispose();
                var reason = Describe(e);
                _loaded.TryGetValue(folder, out var serving);
                var still = serving is null ? string.Empty : $"; version {serving.Version} keeps serving";
                _infos[folder] = new PluginInfo(name, assembly, PluginStatus.Failed, sha, serving is null ? [] : previous?.Methods ?? [], reason, previous?.Version ?? 0);
                _logger.LogError("Plugin {Path} failed to load: {Reason}{Still}", assembly, reason, still);
                if ((e is BadImageFormatException or IOException) && _options.HotReload && _retried.Add(folder))
                {
                    // Most likely still being written: try once more after the writes settle.
                    Schedule(root, folder, _options.ReloadDelay * 4, retry: true);
                }
            }
        }
    }

    private LoadedPlugin Instantiate(string name, int version, string shadow, string shadowAssembly)
    {
        var loader = PluginLoader.CreateFromAssemblyFile(shadowAssembly, isUnloadable: true, s_sharedTypes, config => config.LoadInMemory = true);
        try
        {
            var assembly = loader.LoadDefaultAssembly();
            Type[] types;
            try
            {
                types = assembly.GetTypes();
            }
            catch (ReflectionTypeLoadException e)
            {
                var first = e.LoaderExceptions.FirstOrDefault(x => x is not null)?.Message ?? e.Message;
                throw new SaliencyException($"its types cannot be loaded ({first}); was it built against another version of Saliency.Abstractions or TorchSharp?", e);
            }

            var methodTypes = types.Where(t => t is { IsClass: true, IsAbstract: false, IsPublic: true } && typeof(ISaliencyMethod).IsAssignableFrom(t)).ToList();
            if (methodTypes.Count == 0)
            {
                var found = string.Join(", ", types.Where(t => t.IsPublic).Select(t => t.Name).Take(8));
                throw new SaliencyException($"it has no public class implementing ISaliencyMethod (public types found: {(found.Length == 0 ? "none" : found)})");
            }

            var methods = new List<ISaliencyMethod>();
            foreach (var type in methodTypes)
            {
                if (type.GetConstructor(Type.EmptyTypes) is null)
                {
                    throw new SaliencyException($"{type.FullName} has no public parameterless constructor");
                }

                ISaliencyMethod method;
                try
                {
                    method = (ISaliencyMethod)Activator.CreateInstance(type)!;
                }
                catch (TargetInvocationException e) when (e.InnerException is not null)
                {
                    throw new SaliencyException($"the constructor of {type.FullName} threw {e.InnerException.GetType().Name}: {e.InnerException.Message}", e.InnerException);
                }

                Validate(type, method.Descriptor);
                methods.Add(method);
            }

            return new LoadedPlugin(name, version, shadow, loader, methods);
        }
        catch
        {
            loader.Dispose();
            TryDelete(shadow);
            throw;
        }
    }

    private static void Validate(Type type, MethodDescriptor? descriptor)
    {
        if (descriptor is null)
        {
            throw new SaliencyException($"{type.FullName}.Descriptor is null");
        }

        if (descriptor.ContractVersion != SaliencyContract.Version)
        {
            throw new SaliencyException(
                $"{type.FullName} was built against contract version {descriptor.ContractVersion}, but this host speaks version {SaliencyContract.Version}; rebuild the plugin against this Saliency.Abstractions");
        }

        if (string.IsNullOrEmpty(descriptor.Id) || !KebabCase().IsMatch(descriptor.Id))
        {
            throw new SaliencyException($"{type.FullName} has method id '{descriptor.Id}'; ids are kebab-case, like 'grad-cam'");
        }

        if (string.IsNullOrWhiteSpace(descriptor.DisplayName) || string.IsNullOrWhiteSpace(descriptor.Description))
        {
            throw new SaliencyException($"method '{descriptor.Id}' ({type.FullName}) needs a display name and a one-line description");
        }
    }

    private void Refuse(string folder, string name, string assembly, string? sha, string reason, PluginInfo? previous)
    {
        if (_loaded.Remove(folder, out var old))
        {
            _publish(folder, null);
            old.Dispose();
        }

        _infos[folder] = new PluginInfo(name, assembly, PluginStatus.Refused, sha, [], reason, previous?.Version ?? 0);
        _logger.LogError("Plugin {Path} refused: {Reason}", assembly, reason);
    }

    private void Remove(string folder, string name)
    {
        if (_loaded.Remove(folder, out var old))
        {
            _publish(folder, null);
            old.Dispose();
            _logger.LogInformation("Plugin {Name} removed ({Folder} is gone)", name, folder);
        }

        _infos.Remove(folder);
    }

    private string? InsecureReason(string root, string folder, string assembly)
    {
        if (_options.AllowWritablePluginDirectories || OperatingSystem.IsWindows())
        {
            return null;
        }

        foreach (var path in new[] { root, folder, assembly })
        {
            var mode = File.GetUnixFileMode(path);
            if ((mode & (UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)) != 0)
            {
                return $"{path} is writable by {((mode & UnixFileMode.OtherWrite) != 0 ? "others" : "its group")}, so anyone who can write there could run code in this process; fix with 'chmod go-w {path}' or set AllowWritablePluginDirectories";
            }
        }

        return null;
    }

    private string ShadowCopy(string folder, string name)
    {
        var target = Path.Combine(_shadowRoot, $"{name}-{++_shadowCounter}");
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(target);
        }
        else
        {
            Directory.CreateDirectory(target, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        foreach (var file in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories))
        {
            var destination = Path.Combine(target, Path.GetRelativePath(folder, file));
            Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
            File.Copy(file, destination, overwrite: true);
        }

        return target;
    }

    private static string Describe(Exception e) => e switch
    {
        BadImageFormatException => "it is not a valid .NET assembly (corrupt, or still being written)",
        FileLoadException or FileNotFoundException => $"it cannot be loaded ({e.Message})",
        SaliencyException => e.Message,
        _ => $"{e.GetType().Name}: {e.Message}",
    };

    private static void TryDelete(string path)
    {
        try
        {
            if (Directory.Exists(path))
            {
                Directory.Delete(path, recursive: true);
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    [GeneratedRegex("^[a-z0-9]+(-[a-z0-9]+)*$")]
    private static partial Regex KebabCase();

    private sealed class LoadedPlugin(string name, int version, string shadow, PluginLoader loader, IReadOnlyList<ISaliencyMethod> methods) : IDisposable
    {
        public string Name { get; } = name;

        public int Version { get; } = version;

        public PluginLoader Loader { get; } = loader;

        public IReadOnlyList<ISaliencyMethod> Methods { get; } = methods;

        public void Dispose()
        {
            Loader.Dispose();
            TryDelete(shadow);
        }
    }
}
