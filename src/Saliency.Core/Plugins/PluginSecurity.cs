namespace Saliency;

/// <summary>
/// What the host checks before it runs a plugin's code, and the private copy it runs: plugins are code, so they
/// load only from directories nobody else can write to (Unix), only with an allowed SHA-256 when an allow-list is set,
/// and from a shadow copy, so that the bytes hashed are the bytes that run and a plugin being rewritten is never
/// loaded half-written from under the host.
/// </summary>
internal sealed class PluginSecurity(SaliencyHostOptions options) : IDisposable
{
    private readonly string _shadowRoot = Path.Combine(Path.GetTempPath(), $"saliency-plugins-{Environment.ProcessId}-{Guid.NewGuid():N}");
    private int _shadowCounter;

    /// <summary>
    /// Why <paramref name="assembly"/> must not be loaded from where it is, or <see langword="null"/>. The root, the
    /// plugin folder and the assembly are checked where they really are (every symlink resolved), and so is every
    /// folder above them: whoever can write to any of them can swap the plugin. A folder with the sticky bit (such as
    /// <c>/tmp</c>) is accepted above them, since others cannot rename or delete what is in it.
    /// </summary>
    public string? InsecureReason(string root, string folder, string assembly)
    {
        if (options.AllowWritablePluginDirectories || OperatingSystem.IsWindows())
        {
            return null;
        }

        foreach (var path in new[] { root, folder, assembly })
        {
            var real = RealPath(path);
            var via = real == Path.GetFullPath(path) ? string.Empty : $" ({path} resolves to {real})";
            if (Writable(real) is { } who)
            {
                return $"{real}{via} is writable by {who}, so anyone who can write there could run code in this process; fix with 'chmod go-w {real}' or set AllowWritablePluginDirectories";
            }

            for (var parent = Path.GetDirectoryName(real); parent is not null; parent = Path.GetDirectoryName(parent))
            {
                if ((File.GetUnixFileMode(parent) & UnixFileMode.StickyBit) == 0 && Writable(parent) is { } parentWho)
                {
                    return $"{parent}, a folder above {real}{via}, is writable by {parentWho}, so anyone who can write there could swap the plugin and run code in this process; fix with 'chmod go-w {parent}' or set AllowWritablePluginDirectories";
                }
            }
        }

        return null;
    }

    /// <summary>Who other than the owner may write to <paramref name="path"/>: <c>others</c>, <c>its group</c>, or <see langword="null"/>.</summary>
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    private static string? Writable(string path)
    {
        var mode = File.GetUnixFileMode(path);
        return (mode & UnixFileMode.OtherWrite) != 0 ? "others"
            : (mode & UnixFileMode.GroupWrite) != 0 ? "its group"
            : null;
    }

    /// <summary>The path with every symlink in it resolved, like realpath(3).</summary>
    internal static string RealPath(string path, int depth = 0)
    {
        var full = Path.GetFullPath(path);
        if (depth > 40)
        {
            throw new IOException($"Too many levels of symbolic links resolving {path}.");
        }

        var current = Path.GetPathRoot(full)!;
        foreach (var part in full[current.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries))
        {
            var next = Path.Combine(current, part);
            FileSystemInfo info = Directory.Exists(next) ? new DirectoryInfo(next) : new FileInfo(next);
            if (info.LinkTarget is { } target)
            {
                next = RealPath(Path.IsPathRooted(target) ? target : Path.Combine(current, target), depth + 1);
            }

            current = next;
        }

        return current;
    }

    /// <summary>Why an assembly with this hash must not be loaded (the allow-list), or <see langword="null"/>.</summary>
    public string? DisallowedReason(string sha256) =>
        options.AllowedSha256 is { } allowed && !allowed.Contains(sha256, StringComparer.OrdinalIgnoreCase)
            ? $"its SHA-256 {sha256} is not in the allow-list"
            : null;

    /// <summary>Copies the plugin folder into a fresh private folder (owner-only on Unix) and returns that folder.</summary>
    public string ShadowCopy(string folder, string name)
    {
        var target = Path.Combine(_shadowRoot, $"{name}-{Interlocked.Increment(ref _shadowCounter)}");
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

    /// <summary>Deletes every shadow copy.</summary>
    public void Dispose() => TryDelete(_shadowRoot);

    /// <summary>Deletes a folder, ignoring what cannot be deleted (a file still mapped on Windows, say).</summary>
    public static void TryDelete(string path)
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
}
