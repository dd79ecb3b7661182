namespace Saliency;

/// <summary>The state of one plugin folder.</summary>
public enum PluginStatus
{
    /// <summary>Loaded; its methods are served.</summary>
    Loaded,

    /// <summary>The last load failed (corrupt or half-written assembly, wrong contract, constructor threw…). An earlier version, if any, is still served.</summary>
    Failed,

    /// <summary>Refused for security: the directory is writable by others, or the assembly's hash is not allowed.</summary>
    Refused,
}

/// <summary>What the host knows about one plugin folder.</summary>
/// <param name="Name">The folder (and assembly) name.</param>
/// <param name="Path">The plugin assembly's path.</param>
/// <param name="Status">Loaded, failed or refused.</param>
/// <param name="Sha256">The SHA-256 of the assembly last read, lower-case hex.</param>
/// <param name="Methods">The ids of the methods served from this plugin.</param>
/// <param name="Error">Why the last load failed or was refused; <see langword="null"/> when loaded.</param>
/// <param name="Version">How many versions of this plugin have been loaded (1 for the first).</param>
public sealed record PluginInfo(string Name, string Path, PluginStatus Status, string? Sha256, IReadOnlyList<string> Methods, string? Error, int Version);

/// <summary>What changed in the set of methods a host serves.</summary>
public sealed class MethodsChangedEventArgs : EventArgs
{
    /// <summary>Creates the event data.</summary>
    /// <param name="added">Ids that appeared.</param>
    /// <param name="removed">Ids that disappeared.</param>
    /// <param name="replaced">Ids now served by a new version.</param>
    public MethodsChangedEventArgs(IReadOnlyList<string> added, IReadOnlyList<string> removed, IReadOnlyList<string> replaced)
    {
        Added = added;
        Removed = removed;
        Replaced = replaced;
    }

    /// <summary>Ids that appeared.</summary>
    public IReadOnlyList<string> Added { get; }

    /// <summary>Ids that disappeared.</summary>
    public IReadOnlyList<string> Removed { get; }

    /// <summary>Ids now served by a new version.</summary>
    public IReadOnlyList<string> Replaced { get; }
}
