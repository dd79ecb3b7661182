namespace Saliency.Benchmarking;

/// <summary>What <see cref="QuickBench.Run"/> measures and for how long.</summary>
public sealed record QuickBenchOptions
{
    /// <summary>The device: <c>cpu</c> (default), <c>cuda</c>, <c>cuda:N</c> or <c>auto</c>.</summary>
    public string Device { get; init; } = "cpu";

    /// <summary>The batch sizes, each measured in the same rounds. Default 1 and 8.</summary>
    public IReadOnlyList<int> Batches { get; init; } = [1, 8];

    /// <summary>The methods measured (each with its floor). Default: the four built-in methods.</summary>
    public IReadOnlyList<string> Methods { get; init; } = [.. BenchCase.Methods.Select(m => m.Id)];

    /// <summary>The most measured rounds; each round times every case of every batch once. Default 10.</summary>
    public int Iterations { get; init; } = 10;

    /// <summary>The fewest measured rounds, even when <see cref="TimeBudget"/> is spent. Default 3.</summary>
    public int MinIterations { get; init; } = 3;

    /// <summary>Unmeasured runs of every case before the rounds (JIT, plugin load, libtorch's caches). Default 1.</summary>
    public int Warmup { get; init; } = 1;

    /// <summary>
    /// The time by which the rounds should end: once <see cref="MinIterations"/> are done, no round starts that would
    /// end later, judging by the last round; <see langword="null"/> for no limit. Default 50 s, so that the whole run,
    /// set-up included, stays under a minute on a quiet 2-core CPU. A loaded machine still runs the minimum rounds.
    /// </summary>
    public TimeSpan? TimeBudget { get; init; } = TimeSpan.FromSeconds(50);

    /// <summary>libtorch's intra-op threads (<c>torch.set_num_threads</c>); <see langword="null"/> means one per logical core.</summary>
    public int? Threads { get; init; }

    /// <summary>Input height and width. Default 224.</summary>
    public int ImageSize { get; init; } = 224;

    /// <summary>
    /// Whether to time the engine's passes too (<see cref="SaliencyEngine"/> without plugin, host or method
    /// arithmetic), to see where a method's time over its floor goes. Default false.
    /// </summary>
    public bool Breakdown { get; init; }

    /// <summary>
    /// Whether to tune glibc's allocator for tensors first (<see cref="NativeAllocator.TuneForTensors"/>), as the
    /// <c>saliency</c> command does. It changes the whole process, floors included, and cannot be undone. Default true.
    /// </summary>
    public bool TuneAllocator { get; init; } = true;

    /// <summary>
    /// The kernel check before measuring (<see cref="KernelGuard"/>), as the host runs it: <see cref="KernelCheckMode.Auto"/>
    /// (default) measures what users get; <see cref="KernelCheckMode.Off"/> measures the unguarded kernels, which on
    /// machines with broken oneDNN kernels are fast and wrong.
    /// </summary>
    public KernelCheckMode KernelCheck { get; init; } = KernelCheckMode.Auto;

    /// <summary>Plugin directories besides the default <c>plugins</c> folder.</summary>
    public IReadOnlyList<string> PluginDirectories { get; init; } = [];

    /// <summary>Receives one line per stage (set-up, warm-up, each round), for example to print on stderr.</summary>
    public Action<string>? Progress { get; init; }

    /// <summary>Checks the options.</summary>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public void Validate()
    {
        if (Batches.Count == 0 || Batches.Any(b => b < 1))
        {
            throw new ArgumentException($"Batches must be one or more sizes ≥ 1; got [{string.Join(", ", Batches)}].", nameof(Batches));
        }

        if (Methods.Count == 0)
        {
            throw new ArgumentException("Name at least one method.", nameof(Methods));
        }

        foreach (var method in Methods)
        {
            _ = BenchCase.ForMethod(method);
        }

        if (Iterations < 1 || MinIterations < 1 || MinIterations > Iterations)
        {
            throw new ArgumentException($"Need 1 ≤ MinIterations ({MinIterations}) ≤ Iterations ({Iterations}).", nameof(Iterations));
        }

        if (Warmup < 0)
        {
            throw new ArgumentException($"Warmup must be ≥ 0; got {Warmup}.", nameof(Warmup));
        }

        if (Threads is < 1)
        {
            throw new ArgumentException($"Threads must be ≥ 1; got {Threads}.", nameof(Threads));
        }
    }
}
