using System.Runtime.InteropServices;

namespace Saliency;

/// <summary>
/// The process's native environment, which native libraries read with <c>getenv</c>. On Unix .NET keeps its own copy
/// of the environment: <see cref="Environment.SetEnvironmentVariable(string, string)"/> changes only that copy, so a
/// variable meant for libtorch is set with libc's <c>setenv</c> as well.
/// </summary>
internal static partial class NativeEnvironment
{
    /// <summary>Sets <paramref name="name"/> in the .NET and (on Unix) the native environment.</summary>
    public static void Set(string name, string value)
    {
        Environment.SetEnvironmentVariable(name, value);
        if (!OperatingSystem.IsWindows())
        {
            _ = setenv(name, value, 1);
        }
    }

    /// <summary>The value native code sees for <paramref name="name"/>, or <see langword="null"/>.</summary>
    public static string? Get(string name) =>
        OperatingSystem.IsWindows() ? Environment.GetEnvironmentVariable(name) : Marshal.PtrToStringUTF8(getenv(name));

    [LibraryImport("libc", EntryPoint = "setenv", StringMarshalling = StringMarshalling.Utf8)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static partial int setenv(string name, string value, int overwrite);

    [LibraryImport("libc", EntryPoint = "getenv", StringMarshalling = StringMarshalling.Utf8)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static partial IntPtr getenv(string name);
}
