using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Saliency.Cli.Infrastructure;

/// <summary>
/// Writes files whole or not at all: the bytes go to <c>&lt;file&gt;.&lt;pid&gt;.saliency-tmp</c> beside the target,
/// which is then renamed over it (a rename within a folder is atomic), so a crash or Ctrl+C never leaves half a file
/// under the real name.
/// </summary>
internal static class AtomicFile
{
    /// <summary>The suffix of temporary files; a file with it was left by a killed run and may be deleted.</summary>
    public const string TemporarySuffix = ".saliency-tmp";

    /// <summary>The temporary name this process uses for <paramref name="path"/>.</summary>
    public static string TemporaryPath(string path) =>
        string.Create(CultureInfo.InvariantCulture, $"{path}.{Environment.ProcessId}{TemporarySuffix}");

    /// <summary>Writes <paramref name="bytes"/> to the temporary name of <paramref name="path"/>; returns that name.</summary>
    /// <exception cref="IOException">The file cannot be written; the message names it and why.</exception>
    public static string Stage(string path, ReadOnlySpan<byte> bytes)
    {
        var temporary = TemporaryPath(path);
        var copy = bytes.ToArray();
        Guard(path, () =>
        {
            using var file = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None);
            file.Write(copy);
        });
        return temporary;
    }

    /// <summary>Renames the staged <paramref name="temporary"/> over <paramref name="path"/>.</summary>
    /// <exception cref="IOException">The rename failed (for example a folder is in the way); the message names the file.</exception>
    public static void Commit(string temporary, string path) => Guard(path, () => File.Move(temporary, path, overwrite: true));

    /// <summary>Deletes <paramref name="path"/> if it exists, ignoring failures (used to roll back).</summary>
    public static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Rolling back is best effort: the manifest does not list the file, so --resume redoes its image.
        }
    }

    /// <summary>The SHA-256 of <paramref name="bytes"/>, lower-case hex.</summary>
    public static string Sha256(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    /// <summary>The SHA-256 of a file, lower-case hex.</summary>
    public static string Sha256(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    /// <summary>Runs <paramref name="write"/>, turning its failure into one message that names <paramref name="path"/> and the reason.</summary>
    private static void Guard(string path, Action write)
    {
        try
        {
            write();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"cannot write {path}: {WhyNot(path, e)}", e);
        }
    }

    /// <summary>The reason a file cannot be written, in the user's terms.</summary>
    public static string WhyNot(string path, Exception e)
    {
        if (Directory.Exists(path))
        {
            return "a folder of that name is in the way; remove it or choose another --out";
        }

        if (Encoding.UTF8.GetByteCount(Path.GetFileName(path)) > 255)
        {
            return "the file name is longer than 255 bytes";
        }

        return e is UnauthorizedAccessException
            ? "permission denied; choose a writable --out"
            : e.Message;
    }
}
