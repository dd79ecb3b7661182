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

    /// <summary>Why <paramref name="assembly"/> must not be loaded from where it is, or <see langword="null"/>.</summary>
    public string? InsecureReason(string root, string folder, string assembly)
    {
        if (options.AllowWritablePluginDirectories || OperatingSystem.IsWindows())
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
