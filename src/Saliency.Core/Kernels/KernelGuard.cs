using System.Collections.Concurrent;
using System.Globalization;
using static TorchSharp.torch;

namespace Saliency;

/// <summary>
/// Makes sure the convolution kernels of a device compute correct numbers before anything is explained on it: runs
/// <see cref="KernelSelfCheck"/> once per process, device and (CPU) thread count, and on a CPU whose oneDNN kernels
/// are wrong turns oneDNN off for the process, checks again, and reports what it did and what it costs.
/// </summary>
/// <remarks>
/// Two routes, in this order. Where the CPU hides its cache sizes (the cause found so far) and the loaded libtorch is a
/// build whose oneDNN layout is known, oneDNN is given the cache sizes it assumes when a CPU reports none and its cached
/// kernels are dropped (<see cref="OneDnnCacheRepair"/>): no cost in speed. Otherwise, or when the self-check still
/// fails after that, oneDNN is turned off (<c>torch.backends.mkldnn.enabled = False</c> in Python terms): libtorch's
/// own convolution kernels are correct on the machines where oneDNN 3.7.1's are not, and the switch is a public libtorch
/// setting, but it costs 1.6–3× per pass (docs/benchmarks.md). Whatever the route, the second self-check is what makes
/// the results safe: when it fails too, the guard refuses to explain.
/// </remarks>
public sealed class KernelGuard
{
    /// <summary>What turning oneDNN off costs, in words (measured on resnet18 and the built-in methods; docs/benchmarks.md).</summary>
    public const string OneDnnOffCost = "explanations on the CPU take about 1.6–2.3× as long (resnet18, measured)";

    /// <summary>
    /// Explanations hold this for reading; the self-check and the route hold it for writing. Both change process-wide
    /// libtorch state while they run (the thread count, which libtorch also hands to MKL, and the oneDNN switch), and
    /// a guard key depends on the calling thread's thread count (an OpenMP per-thread setting), so a thread can start
    /// a check while other threads explain: without this lock that check ran underneath their passes.
    /// </summary>
    private static readonly ReaderWriterLockSlim s_passes = new(LockRecursionPolicy.SupportsRecursion);

    private readonly Func<Device, KernelCheckReport> _check;
    private readonly Func<bool> _disableOneDnn;
    private readonly Func<string?> _repairOneDnn;
    private readonly ConcurrentDictionary<string, KernelStatus> _statuses = new(StringComparer.Ordinal);
    private readonly object _gate = new();
    private volatile string? _cpuWarning;

    /// <summary>Creates a guard with its own check and routes (tests inject failures through this seam).</summary>
    /// <param name="check">The self-check.</param>
    /// <param name="disableOneDnn">Turns oneDNN off; answers whether it is off.</param>
    /// <param name="repairOneDnn">Gives oneDNN usable cache sizes where the CPU hides them; answers what it did, or <see langword="null"/> when it did nothing.</param>
    internal KernelGuard(Func<Device, KernelCheckReport> check, Func<bool> disableOneDnn, Func<string?>? repairOneDnn = null)
    {
        _check = check;
        _disableOneDnn = disableOneDnn;
        _repairOneDnn = repairOneDnn ?? (() => null);
    }

    /// <summary>The process's guard: the real self-check, the cache-size repair for known libtorch builds and the real oneDNN switch.</summary>
    public static KernelGuard Default { get; } = new(
        KernelSelfCheck.Run,
        LibTorchNative.TryDisableOneDnn,
        () => CpuInfo.Read() is { ReportsSizes: false } && OneDnnCacheRepair.TryApply() is { } repair && LibTorchNative.TryDisableNnpack() ? $"{repair} and turned NNPACK off" : null);

    /// <summary>
    /// Checks <paramref name="device"/> as <paramref name="mode"/> says, once (cached), and returns what was found.
    /// </summary>
    /// <param name="device">The device explanations will run on.</param>
    /// <param name="mode">Check and route (<see cref="KernelCheckMode.Auto"/>), check and refuse (<see cref="KernelCheckMode.Strict"/>), or skip (<see cref="KernelCheckMode.Off"/>).</param>
    /// <returns>The status; with <see cref="KernelCheckMode.Off"/>, the status found earlier by another caller, or <see langword="null"/>.</returns>
    /// <exception cref="KernelCheckException">The kernels are wrong and the mode, the device or the machine leaves no correct route.</exception>
    public KernelStatus? Ensure(Device device, KernelCheckMode mode)
    {
        ArgumentNullException.ThrowIfNull(device);
        var key = Key(device);
        if (mode == KernelCheckMode.Off)
        {
            return _statuses.TryGetValue(key, out var known) ? WithCpuWarning(known, device) : null;
        }

        if (_statuses.TryGetValue(key, out var cached) && cached.IsCorrect)
        {
            return WithCpuWarning(cached, device);
        }

        // Inside a pass (a method explaining through SaliencyEngine, on a thread whose thread count was changed) the
        // write lock cannot be taken: check under the guard's own lock only, as before.
        var exclusive = !s_passes.IsReadLockHeld && !s_passes.IsWriteLockHeld;
        if (exclusive)
        {
            s_passes.EnterWriteLock();
        }

        try
        {
            return EnsureLocked(device, mode, key);
        }
        finally
        {
            if (exclusive)
            {
                s_passes.ExitWriteLock();
            }
        }
    }

    /// <summary>
    /// Holds off the self-check and the route while the returned scope lives: every explanation runs inside one, so
    /// no process-wide kernel setting changes under a pass (nested scopes are allowed).
    /// </summary>
    internal static IDisposable Pass()
    {
        s_passes.EnterReadLock();
        return new PassScope();
    }

    private KernelStatus? EnsureLocked(Device device, KernelCheckMode mode, string key)
    {
        lock (_gate)
        {
            var status = _statuses.TryGetValue(key, out var seen) ? seen : Check(device);
            if (!status.IsCorrect && mode == KernelCheckMode.Auto && status.Route == KernelRoute.None)
            {
                status = Route(device, status.Initial);
            }

            _statuses[key] = status;
            if (!status.IsCorrect)
            {
                throw Refusal(status, mode, device.type == TorchSharp.DeviceType.CPU);
            }

            return WithCpuWarning(status, device);
        }
    }

    /// <summary>Leaves the read lock taken by <see cref="Pass"/>, once.</summary>
    private sealed class PassScope : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                s_passes.ExitReadLock();
            }
        }
    }

    /// <summary>The status found for <paramref name="device"/> at the current thread count, if it was checked.</summary>
    /// <param name="device">The device.</param>
    public KernelStatus? StatusOf(Device device)
    {
        ArgumentNullException.ThrowIfNull(device);
        return _statuses.TryGetValue(Key(device), out var status) ? WithCpuWarning(status, device) : null;
    }

    private static string Key(Device device) =>
        device.type == TorchSharp.DeviceType.CPU ? string.Create(CultureInfo.InvariantCulture, $"cpu/{TorchSharp.torch.get_num_threads()}") : device.ToString();

    private KernelStatus Check(Device device)
    {
        var report = _check(device);
        return new KernelStatus(device.ToString(), report, report, KernelRoute.None, null);
    }

    private KernelStatus Route(Device device, KernelCheckReport initial)
    {
        if (device.type != TorchSharp.DeviceType.CPU)
        {
            return new KernelStatus(device.ToString(), initial, initial, KernelRoute.Unavailable, null);
        }

        var caches = CpuInfo.Read();
        var hidden = caches is { ReportsSizes: false } ? $", and this CPU reports no cache sizes ({caches.Source} reads zero)" : string.Empty;
        var wrong = $"The CPU's convolution kernels (oneDNN) compute wrong numbers on this machine: {initial.Summary}{hidden}.";
        if (_repairOneDnn() is { } repair)
        {
            var repaired = _check(device);
            if (repaired.Passed)
            {
                var note = $"{wrong} Saliency {repair}; the self-check now passes ({repaired.Summary}) at full speed.";
                _cpuWarning = note;
                return new KernelStatus(device.ToString(), initial, repaired, KernelRoute.OneDnnCacheSizesRepaired, note);
            }
        }

        if (!_disableOneDnn())
        {
            return new KernelStatus(device.ToString(), initial, initial, KernelRoute.Unavailable, null);
        }

        var after = _check(device);
        if (!after.Passed)
        {
            return new KernelStatus(device.ToString(), initial, after, KernelRoute.OneDnnDisabled, null);
        }

        var warning = $"{wrong} Saliency turned oneDNN off for this process and the self-check now passes ({after.Summary}); {OneDnnOffCost}.";
        _cpuWarning = warning;
        return new KernelStatus(device.ToString(), initial, after, KernelRoute.OneDnnDisabled, warning);
    }

    /// <summary>Once oneDNN is off, every CPU status carries the warning, whichever thread count found the failure.</summary>
    private KernelStatus WithCpuWarning(KernelStatus status, Device device) =>
        device.type == TorchSharp.DeviceType.CPU && status.Warning is null && _cpuWarning is { } warning ? status with { Warning = warning } : status;

    private static KernelCheckException Refusal(KernelStatus status, KernelCheckMode mode, bool cpu)
    {
        var failed = status.Final;
        var start = $"The convolution kernels on {status.Device} failed Saliency's self-check: {status.Initial.Summary}";
        var message = status.Route switch
        {
            KernelRoute.OneDnnDisabled => $"{start}; with oneDNN turned off they are still wrong ({failed.Summary}); Saliency refuses to explain rather than return wrong maps. Run on another device or machine.",
            KernelRoute.Unavailable when !cpu => $"{start}; there is no route around a CUDA failure, so Saliency refuses to explain rather than return wrong maps. Explain on the CPU, or update the GPU driver and libtorch.",
            KernelRoute.Unavailable => $"{start}, and this libtorch offers no way to turn oneDNN off; Saliency refuses to explain rather than return wrong maps. Run on another machine.",
            _ when mode == KernelCheckMode.Strict && cpu => $"{start}; the kernel check is Strict, so Saliency refuses to explain rather than change process-wide settings. Use the Auto kernel check to turn oneDNN off for this process ({OneDnnOffCost}).",
            _ => $"{start}; the kernel check is Strict, so Saliency refuses to explain.",
        };
        return new KernelCheckException(message, status);
    }
}

/// <summary>What the guard found on a device and what it did.</summary>
/// <param name="Device">The device, e.g. <c>cpu</c>.</param>
/// <param name="Initial">The first self-check.</param>
/// <param name="Final">The self-check after the route (the same as <paramref name="Initial"/> when nothing was done).</param>
/// <param name="Route">What was done about a failure.</param>
/// <param name="Warning">The caveat every result on this device carries (what was wrong, what was done, what it costs), or <see langword="null"/>.</param>
public sealed record KernelStatus(string Device, KernelCheckReport Initial, KernelCheckReport Final, KernelRoute Route, string? Warning)
{
    /// <summary>Whether explanations on this device compute correct numbers (the last self-check passed).</summary>
    public bool IsCorrect => Final.Passed;
}

/// <summary>What <see cref="KernelGuard"/> did about a failed self-check.</summary>
public enum KernelRoute
{
    /// <summary>Nothing: the check passed, or a Strict check refused.</summary>
    None,

    /// <summary>oneDNN was turned off for the process (CPU).</summary>
    OneDnnDisabled,

    /// <summary>No route exists here (a CUDA device, or a libtorch without the switch).</summary>
    Unavailable,

    /// <summary>
    /// oneDNN was given the cache sizes it assumes when a CPU reports none, and its cached kernels were dropped (CPU,
    /// known libtorch builds only); convolutions keep oneDNN's speed.
    /// </summary>
    OneDnnCacheSizesRepaired,
}

/// <summary>The kernels of a device compute wrong numbers and Saliency refuses to explain with them.</summary>
public sealed class KernelCheckException : SaliencyException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What is wrong and what to do.</param>
    /// <param name="status">What the guard found.</param>
    public KernelCheckException(string message, KernelStatus status)
        : base(message)
    {
        Status = status;
    }

    /// <summary>What the guard found.</summary>
    public KernelStatus Status { get; }
}
