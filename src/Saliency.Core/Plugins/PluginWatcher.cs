using Microsoft.Extensions.Logging;

namespace Saliency;

/// <summary>
/// Watches plugin directories and, once a plugin folder has been quiet for the reload delay, asks for it to be
/// (re)loaded: one timer per folder, restarted by every change, so that a build writing many files causes one load.
/// A load that failed because the files were still being written is retried once after the writes settle.
/// </summary>
internal sealed class PluginWatcher(TimeSpan delay, ILogger logger, Action<string, string> load) : IDisposable
{
    private readonly object _gate = new();
    private readonly Dictionary<string, Timer> _pending = new(StringComparer.Ordinal);
    private readonly HashSet<string> _retried = new(StringComparer.Ordinal);
    private readonly List<FileSystemWatcher> _watchers = [];
    private bool _disposed;

    /// <summary>Starts watching <paramref name="root"/> and every plugin folder below it.</summary>
    public void Watch(string root)
    {
        var watcher = new FileSystemWatcher(root)
        {
            IncludeSubdirectories = true,
            NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.LastWrite | NotifyFilters.Size,
        };
        FileSystemEventHandler changed = (_, e) => Schedule(root, e.FullPath, delay, retry: false);
        watcher.Created += changed;
        watcher.Changed += changed;
        watcher.Deleted += changed;
        watcher.Renamed += (_, e) =>
        {
            Schedule(root, e.OldFullPath, delay, retry: false);
            Schedule(root, e.FullPath, delay, retry: false);
        };
        watcher.Error += (_, e) => logger.LogWarning(e.GetException(), "Watching plugin directory {Directory} failed; changes may be missed", root);
        watcher.EnableRaisingEvents = true;
        lock (_gate)
        {
            _watchers.Add(watcher);
        }
    }

    /// <summary>Asks for one more load of <paramref name="folder"/> later, unless it was already retried since its last change.</summary>
    /// <returns>Whether a retry was scheduled.</returns>
    public bool Retry(string root, string folder)
    {
        lock (_gate)
        {
            if (_disposed || !_retried.Add(folder))
            {
                return false;
            }
        }

        Schedule(root, folder, delay * 4, retry: true);
        return true;
    }

    /// <summary>Forgets an earlier retry of <paramref name="folder"/> (it loaded).</summary>
    public void Loaded(string folder)
    {
        lock (_gate)
        {
            _retried.Remove(folder);
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            foreach (var watcher in _watchers)
            {
                watcher.Dispose();
            }

            foreach (var timer in _pending.Values)
            {
                timer.Dispose();
            }

            _pending.Clear();
        }
    }

    private void Schedule(string root, string changedPath, TimeSpan due, bool retry)
    {
        var first = Path.GetRelativePath(root, changedPath).Split(Path.DirectorySeparatorChar, 2)[0];
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
            load(root, folder);
        }
        catch (Exception e)
        {
            // Never let a watcher thread take the process down.
            logger.LogError(e, "Reloading plugin folder {Folder} failed unexpectedly", folder);
        }
    }
}
