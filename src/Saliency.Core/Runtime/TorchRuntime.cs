using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using TorchSharp;

namespace Saliency;

/// <summary>
/// Initialises TorchSharp's native library once and turns a failure into one clear error that names the cause
/// and the fix (instead of a bare <see cref="TypeInitializationException"/>).
/// </summary>
public static partial class TorchRuntime
{
    /// <summary>The libstdc++ symbol version TorchSharp 0.107's native library needs.</summary>
    public const string RequiredGlibcxx = "GLIBCXX_3.4.32";

    /// <summary>The variable libtorch reads its C++ log level from, once, when it loads (INFO, WARNING, ERROR or FATAL).</summary>
    public const string NativeLogLevelVariable = "TORCH_CPP_LOG_LEVEL";

    /// <summary>
    /// The level libtorch's own C++ log gets when the environment sets none: <c>ERROR</c>, so that warnings such as
    /// <c>Could not initialize NNPACK! Reason: Unsupported hardware.</c> stay off stderr.
    /// </summary>
    public const string DefaultNativeLogLevel = "ERROR";

    private static readonly Lazy<Exception?> s_initialisation = new(Initialise, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Makes sure TorchSharp's native library is loaded.</summary>
    /// <exception cref="SaliencyNativeLibraryException">It cannot be loaded; the message says why and how to fix it.</exception>
    public static void EnsureInitialized()
    {
        if (s_initialisation.Value is { } error)
        {
            throw error;
        }
    }

    /// <summary>
    /// Sets the level of libtorch's own C++ log (<see cref="NativeLogLevelVariable"/>) in the process's native
    /// environment, where libtorch reads it when it loads: call it before the first torch call (an application's
    /// <c>--verbose</c> sets <c>WARNING</c>). Without a call, <see cref="EnsureInitialized"/> sets
    /// <see cref="DefaultNativeLogLevel"/> unless the environment already names a level.
    /// </summary>
    /// <param name="level"><c>INFO</c>, <c>WARNING</c>, <c>ERROR</c> or <c>FATAL</c>.</param>
    /// <returns>
    /// Whether Saliency has not loaded libtorch yet. It is too late either way once the application itself has made a
    /// torch call: an application that uses TorchSharp before creating a host calls this (or <see cref="EnsureInitialized"/>) first.
    /// </returns>
    public static bool SetNativeLogLevel(string level)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(level);
        NativeEnvironment.Set(NativeLogLevelVariable, level);
        return !s_initialisation.IsValueCreated;
    }

    /// <summary>Explains why TorchSharp's native library failed to load.</summary>
    /// <param name="failure">The exception TorchSharp threw.</param>
    /// <param name="loaderMessage">The dynamic loader's own message for <c>libLibTorchSharp</c>, if known.</param>
    /// <param name="libstdcxxPath">The libstdc++ the process uses, if known.</param>
    /// <returns>An exception whose message names the cause and the fix.</returns>
    public static SaliencyNativeLibraryException Diagnose(Exception failure, string? loaderMessage, string? libstdcxxPath)
    {
        ArgumentNullException.ThrowIfNull(failure);
        var loaderSaysGlibcxx = loaderMessage?.Contains("GLIBCXX_", StringComparison.Ordinal) ?? false;
        var fileLacksSymbol = libstdcxxPath is not null && File.Exists(libstdcxxPath) && !FileContains(libstdcxxPath, RequiredGlibcxx);
        if (loaderSaysGlibcxx || fileLacksSymbol)
        {
            // The loader names the libstdc++ it actually used ("/path/libstdc++.so.6: version `GLIBCXX_…' not found").
            var used = loaderSaysGlibcxx ? LoaderLibrary().Match(loaderMessage!) : Match.Empty;
            var where = used.Success ? used.Groups["path"].Value : libstdcxxPath ?? "this machine's libstdc++";
            return new SaliencyNativeLibraryException(
                $"TorchSharp's native library cannot load: {where} lacks {RequiredGlibcxx} (the GCC 13+ C++ runtime that libtorch 2.10 needs; Debian 12 has GLIBCXX_3.4.30). " +
                "Fix: install libstdc++ from GCC 13 or newer (on Debian 12, libstdc++6 from Debian 13).",
                failure)
            {
                MissingGlibcxx = RequiredGlibcxx,
            };
        }

        var detail = loaderMessage ?? Innermost(failure).Message.Split('\n')[0];
        return new SaliencyNativeLibraryException(
            $"TorchSharp's native library cannot load ({detail}). Check that the application references a native backend package (TorchSharp-cpu, or libtorch-cuda-12.8-linux-x64 or -win-x64 with TorchSharp for CUDA) and that its runtimes/ folder was deployed.",
            failure);
    }

    private static Exception? Initialise()
    {
        // libtorch reads its log level with getenv when it loads; Environment.SetEnvironmentVariable does not reach
        // the native environment on Unix, so the default goes through libc (NativeEnvironment).
        if (string.IsNullOrEmpty(NativeEnvironment.Get(NativeLogLevelVariable)))
        {
            NativeEnvironment.Set(NativeLogLevelVariable, DefaultNativeLogLevel);
        }

        // When loading fails, TorchSharp prints pages of its own search trace; keep it out of the user's output
        // (the exception we throw says what matters, and carries TorchSharp's exception as its inner exception).
        var (output, error) = (Console.Out, Console.Error);
        using var trace = new StringWriter();
        Console.SetOut(trace);
        Console.SetError(trace);
        try
        {
            // Any torch call runs TorchSharp's static initialiser, which loads libtorch and LibTorchSharp.
            _ = torch.get_num_threads();
            return null;
        }
        catch (Exception e) when (e is TypeInitializationException or DllNotFoundException or NotSupportedException or BadImageFormatException)
        {
            return Diagnose(e, ProbeLoader(), FindLibstdcxx());
        }
        finally
        {
            Console.SetOut(output);
            Console.SetError(error);
        }
    }

    private static string? ProbeLoader()
    {
        var directory = Path.GetDirectoryName(typeof(torch).Assembly.Location) ?? AppContext.BaseDirectory;
        var name = OperatingSystem.IsWindows() ? "LibTorchSharp.dll" : OperatingSystem.IsMacOS() ? "libLibTorchSharp.dylib" : "libLibTorchSharp.so";
        var rid = RuntimeInformation.RuntimeIdentifier;
        string[] candidates =
        [
            Path.Combine(directory, name),
            Path.Combine(directory, "runtimes", rid, "native", name),
            Path.Combine(directory, "runtimes", OperatingSystem.IsLinux() ? "linux-x64" : rid, "native", name),
            Path.Combine(directory, "cpu", name),
        ];
        foreach (var candidate in candidates.Where(File.Exists))
        {
            try
            {
                NativeLibrary.Free(NativeLibrary.Load(candidate));
                return null;
            }
            catch (DllNotFoundException e)
            {
                return e.Message;
            }
        }

        return null;
    }

    private static string? FindLibstdcxx()
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        string[] candidates =
        [
            "/usr/lib/x86_64-linux-gnu/libstdc++.so.6",
            "/usr/lib/aarch64-linux-gnu/libstdc++.so.6",
            "/usr/lib64/libstdc++.so.6",
            "/usr/lib/libstdc++.so.6",
        ];
        return candidates.FirstOrDefault(File.Exists);
    }

    private static bool FileContains(string path, string text)
    {
        var needle = System.Text.Encoding.ASCII.GetBytes(text);
        var bytes = File.ReadAllBytes(path);
        return bytes.AsSpan().IndexOf(needle) >= 0;
    }

    [GeneratedRegex(@"(?<path>/[^\s:]*libstdc\+\+[^\s:]*): version")]
    private static partial Regex LoaderLibrary();

    private static Exception Innermost(Exception e)
    {
        while (e.InnerException is not null)
        {
            e = e.InnerException;
        }

        return e;
    }
}

/// <summary>TorchSharp's native library could not be loaded; the message names the cause and the fix.</summary>
public sealed class SaliencyNativeLibraryException : SaliencyException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">The cause and the fix.</param>
    /// <param name="innerException">What TorchSharp threw.</param>
    public SaliencyNativeLibraryException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>
    /// The libstdc++ symbol version the process's C++ runtime lacks (<see cref="TorchRuntime.RequiredGlibcxx"/>) when
    /// that is the cause, so that an application can add its own set-up advice; otherwise <see langword="null"/>.
    /// </summary>
    public string? MissingGlibcxx { get; init; }
}
