using System.Runtime.InteropServices;
using System.Text.RegularExpressions;

namespace Saliency;

/// <summary>
/// What libtorch says about its own CPU backend, and the one switch Saliency may turn: oneDNN (MKL-DNN) on or off
/// for the whole process — <c>at::globalContext().setUserEnabledMkldnn(bool)</c>, the switch behind Python's
/// <c>torch.backends.mkldnn.enabled</c>, which TorchSharp does not expose.
/// </summary>
/// <remarks>
/// The entry points are looked up by name in the libtorch that TorchSharp already loaded (Itanium C++ names on Linux
/// and macOS, MSVC names on Windows). Where one is missing, the properties answer <see langword="null"/> and
/// <see cref="TryDisableOneDnn"/> answers <see langword="false"/>; nothing is guessed. Reading the build
/// configuration (<see cref="BuildConfiguration"/>) is done on Linux only, where the C++ string ABI is known.
/// </remarks>
public static unsafe partial class LibTorchNative
{
    private static readonly Lazy<Entries?> s_entries = new(Load, LazyThreadSafetyMode.ExecutionAndPublication);
    private static readonly Lazy<string?> s_configuration = new(ReadConfiguration, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Whether libtorch was built with oneDNN; <see langword="null"/> when this cannot be read.</summary>
    public static bool? HasOneDnn => s_entries.Value?.HasMkldnn();

    /// <summary>Whether libtorch will use oneDNN for CPU convolutions now; <see langword="null"/> when this cannot be read.</summary>
    public static bool? IsOneDnnEnabled => s_entries.Value?.UserEnabledMkldnn() is { } enabled ? enabled && HasOneDnn != false : null;

    /// <summary>Whether libtorch may try NNPACK for CPU convolutions; <see langword="null"/> when this cannot be read.</summary>
    public static bool? IsNnpackEnabled => s_entries.Value?.UserEnabledNnpack();

    /// <summary>libtorch's own description of its build (<c>torch.__config__.show()</c>); <see langword="null"/> when it cannot be read.</summary>
    public static string? BuildConfiguration => s_configuration.Value;

    /// <summary>The libtorch version from its build configuration, e.g. <c>2.10.0</c>.</summary>
    public static string? LibTorchVersion => Find(TorchVersionPattern());

    /// <summary>The oneDNN version from libtorch's build configuration, e.g. <c>v3.7.1</c>.</summary>
    public static string? OneDnnVersion => Find(OneDnnVersionPattern());

    /// <summary>
    /// Turns oneDNN off for this process, and NNPACK with it, so that CPU convolutions take libtorch's own kernels:
    /// once oneDNN is off libtorch would try NNPACK for some convolutions, whose kernels the self-check does not cover
    /// (and which prints a warning on every attempt on CPUs it does not support).
    /// </summary>
    /// <returns>Whether oneDNN is off afterwards.</returns>
    internal static bool TryDisableOneDnn() => SetConvolutionBackends(oneDnn: false, nnpack: false) && IsOneDnnEnabled == false;

    /// <summary>
    /// Turns NNPACK off and leaves oneDNN as it is: after the cache-size repair, so that every convolution takes the
    /// oneDNN kernels the self-check covers (NNPACK's are not checked, and it warns on every attempt on CPUs it does
    /// not support).
    /// </summary>
    /// <returns>Whether NNPACK is off afterwards.</returns>
    internal static bool TryDisableNnpack()
    {
        var entries = s_entries.Value;
        return entries is not null && entries.SetUserEnabledNnpack(false) && IsNnpackEnabled == false;
    }

    /// <summary>Sets both switches (the kernel-cost benchmark measures both states, then restores the first).</summary>
    /// <returns>Whether the switches exist.</returns>
    internal static bool SetConvolutionBackends(bool oneDnn, bool nnpack)
    {
        var entries = s_entries.Value;
        if (entries is null || !entries.SetUserEnabledMkldnn(oneDnn))
        {
            return false;
        }

        entries.SetUserEnabledNnpack(nnpack);
        return true;
    }

    private static string? Find(Regex pattern) =>
        BuildConfiguration is { } text && pattern.Match(text) is { Success: true } match ? match.Groups["v"].Value : null;

    private static Entries? Load()
    {
        TorchRuntime.EnsureInitialized();
        if (!TryOpen(out var library))
        {
            return null;
        }

        var windows = OperatingSystem.IsWindows();
        var globalContext = (delegate* unmanaged<nint>)Export(library, windows ? "?globalContext@at@@YAAEAVContext@1@XZ" : "_ZN2at13globalContextEv");
        if (globalContext is null)
        {
            return null;
        }

        return new Entries(
            globalContext(),
            (delegate* unmanaged<byte>)Export(library, windows ? "?hasMKLDNN@Context@at@@SA_NXZ" : "_ZN2at7Context9hasMKLDNNEv"),
            (delegate* unmanaged<nint, byte>)Export(library, windows ? "?userEnabledMkldnn@Context@at@@QEBA_NXZ" : "_ZNK2at7Context17userEnabledMkldnnEv"),
            (delegate* unmanaged<nint, byte, void>)Export(library, windows ? "?setUserEnabledMkldnn@Context@at@@QEAAX_N@Z" : "_ZN2at7Context20setUserEnabledMkldnnEb"),
            (delegate* unmanaged<nint, byte>)Export(library, windows ? "?userEnabledNNPACK@Context@at@@QEBA_NXZ" : "_ZNK2at7Context17userEnabledNNPACKEv"),
            (delegate* unmanaged<nint, byte, void>)Export(library, windows ? "?setUserEnabledNNPACK@Context@at@@QEAAX_N@Z" : "_ZN2at7Context20setUserEnabledNNPACKEb"),
            library);
    }

    /// <summary>The libtorch CPU library TorchSharp loaded: by its plain name the loader finds the copy already in the process.</summary>
    private static bool TryOpen(out nint library)
    {
        var name = OperatingSystem.IsWindows() ? "torch_cpu.dll" : OperatingSystem.IsMacOS() ? "libtorch_cpu.dylib" : "libtorch_cpu.so";
        return NativeLibrary.TryLoad(name, typeof(TorchSharp.torch).Assembly, null, out library) || NativeLibrary.TryLoad(name, out library);
    }

    private static nint Export(nint library, string name) => NativeLibrary.TryGetExport(library, name, out var address) ? address : 0;

    /// <summary>
    /// Calls <c>std::string at::show_config()</c>. On Linux (libstdc++'s C++11 string, System V calling convention)
    /// the string is returned through a hidden pointer to 32 bytes: data pointer, length, then a 16-byte local buffer
    /// or the capacity. A heap buffer is released with the C library's <c>free</c>, which libstdc++'s operator delete uses.
    /// </summary>
    private static string? ReadConfiguration()
    {
        if (!OperatingSystem.IsLinux() || s_entries.Value is not { } entries || RuntimeInformation.ProcessArchitecture is not (Architecture.X64 or Architecture.Arm64))
        {
            return null;
        }

        var showConfig = (delegate* unmanaged<byte*, byte*>)Export(entries.Library, "_ZN2at11show_configB5cxx11Ev");
        if (showConfig is null)
        {
            return null;
        }

        var buffer = stackalloc byte[32];
        showConfig(buffer);
        var data = *(byte**)buffer;
        var length = *(nuint*)(buffer + 8);
        try
        {
            return length > 1 << 20 ? null : Marshal.PtrToStringUTF8((nint)data, (int)length);
        }
        finally
        {
            if (data != buffer + 16)
            {
                NativeMemory.Free(data);
            }
        }
    }

    [GeneratedRegex(@"TORCH_VERSION=(?<v>[0-9][0-9A-Za-z.+]*)")]
    private static partial Regex TorchVersionPattern();

    [GeneratedRegex(@"(?:MKL-DNN|oneDNN) (?<v>v[0-9][0-9.]*)")]
    private static partial Regex OneDnnVersionPattern();

    private sealed class Entries(
        nint context,
        delegate* unmanaged<byte> hasMkldnn,
        delegate* unmanaged<nint, byte> userEnabledMkldnn,
        delegate* unmanaged<nint, byte, void> setUserEnabledMkldnn,
        delegate* unmanaged<nint, byte> userEnabledNnpack,
        delegate* unmanaged<nint, byte, void> setUserEnabledNnpack,
        nint library)
    {
        public nint Library { get; } = library;

        public bool? HasMkldnn() => hasMkldnn is null ? null : hasMkldnn() != 0;

        public bool? UserEnabledMkldnn() => userEnabledMkldnn is null ? null : userEnabledMkldnn(context) != 0;

        public bool? UserEnabledNnpack() => userEnabledNnpack is null ? null : userEnabledNnpack(context) != 0;

        public bool SetUserEnabledMkldnn(bool enabled) => Set(setUserEnabledMkldnn, enabled);

        public bool SetUserEnabledNnpack(bool enabled) => Set(setUserEnabledNnpack, enabled);

        private bool Set(delegate* unmanaged<nint, byte, void> setter, bool enabled)
        {
            if (setter is null)
            {
                return false;
            }

            setter(context, enabled ? (byte)1 : (byte)0);
            return true;
        }
    }
}
