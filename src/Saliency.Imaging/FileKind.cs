using System.Runtime.InteropServices;

namespace Saliency.Imaging;

/// <summary>
/// What a path is, read from the file system without opening it: opening a FIFO blocks until a writer comes, and a
/// device such as <c>/dev/zero</c> never ends, so only regular files are ever read as images.
/// </summary>
public static class FileKind
{
    private const int AtFdCwd = -100;
    private const uint StatxType = 0x1;
    private const int ModeOffset = 28;

    /// <summary>
    /// Why <paramref name="path"/> (followed through symlinks) cannot be read as a file, e.g. <c>a FIFO (named pipe),
    /// not a regular file</c>; <see langword="null"/> for a regular file, a missing path, or where the type cannot be read.
    /// </summary>
    /// <param name="path">The path.</param>
    /// <returns>The reason, or <see langword="null"/>.</returns>
    public static string? NotRegular(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        var buffer = new byte[256];
        try
        {
            if (statx(AtFdCwd, path, 0, StatxType, buffer) != 0)
            {
                return null;
            }
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            // A libc without statx (glibc < 2.28, musl < 1.2.5): the bounded read still protects the run.
            return null;
        }

        var what = (BitConverter.ToUInt16(buffer, ModeOffset) & 0xF000) switch
        {
            0x8000 => null,
            0x4000 => "a directory",
            0x1000 => "a FIFO (named pipe)",
            0x2000 => "a character device",
            0x6000 => "a block device",
            0xC000 => "a socket",
            _ => "a special file",
        };
        return what is null ? null : $"{what}, not a regular file";
    }

    [DllImport("libc", EntryPoint = "statx", ExactSpelling = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int statx(int dirfd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mask, byte[] buffer);
}
