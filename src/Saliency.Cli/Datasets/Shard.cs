using System.Globalization;

namespace Saliency.Cli.Datasets;

/// <summary>
/// One of <see cref="Count"/> parts of a data set (<c>--shard k/N</c>, k from 0): image <c>i</c> of the inputs sorted by
/// output name belongs to shard <c>i mod N</c>. The partition depends only on the inputs, so N processes on N machines
/// together explain every image once. <c>--shard auto</c> takes k and N from a Kubernetes Indexed Job
/// (<c>JOB_COMPLETION_INDEX</c>, <c>JOB_COMPLETIONS</c>) or a Slurm array (<c>SLURM_ARRAY_TASK_ID</c> less
/// <c>SLURM_ARRAY_TASK_MIN</c>, <c>SLURM_ARRAY_TASK_COUNT</c>).
/// </summary>
internal sealed record Shard(int Index, int Count)
{
    /// <summary>The whole data set.</summary>
    public static Shard All { get; } = new(0, 1);

    /// <summary>Parses <c>--shard</c>; <paramref name="environment"/> reads variables (the process's by default).</summary>
    /// <exception cref="ArgumentException">The value is malformed or out of range, or <c>auto</c> finds no scheduler.</exception>
    public static Shard Parse(string? text, Func<string, string?>? environment = null)
    {
        if (text is null)
        {
            return All;
        }

        environment ??= Environment.GetEnvironmentVariable;
        var value = text.Trim();
        if (value.Equals("auto", StringComparison.OrdinalIgnoreCase))
        {
            return FromScheduler(environment);
        }

        var parts = value.Split('/');
        if (parts.Length != 2 || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var index)
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var count))
        {
            throw new ArgumentException($"--shard '{text}' is not k/N or auto: e.g. --shard 0/4 for the first of four shards (k counts from 0).");
        }

        return Checked(index, count, $"--shard {text}");
    }

    /// <summary>Whether the input at <paramref name="sortedIndex"/> (in the inputs sorted by output name) is this shard's.</summary>
    public bool Owns(int sortedIndex) => sortedIndex % Count == Index;

    /// <summary>The manifest's file name: <c>manifest.jsonl</c>, or <c>manifest.k-of-N.jsonl</c> for a shard (shards may share a folder).</summary>
    public string ManifestName => Count == 1 ? "manifest.jsonl" : string.Create(CultureInfo.InvariantCulture, $"manifest.{Index}-of-{Count}.jsonl");

    /// <summary>The shard in words, for the summary.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"shard {Index}/{Count}");

    private static Shard FromScheduler(Func<string, string?> environment)
    {
        if (environment("JOB_COMPLETION_INDEX") is { } job)
        {
            var count = environment("JOB_COMPLETIONS")
                ?? throw new ArgumentException("--shard auto: JOB_COMPLETION_INDEX is set but JOB_COMPLETIONS is not; set it to the Job's spec.completions.");
            return Checked(Number("JOB_COMPLETION_INDEX", job), Number("JOB_COMPLETIONS", count), "--shard auto (Kubernetes Indexed Job)");
        }

        if (environment("SLURM_ARRAY_TASK_ID") is { } task)
        {
            var count = environment("SLURM_ARRAY_TASK_COUNT")
                ?? throw new ArgumentException("--shard auto: SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not.");
            var min = environment("SLURM_ARRAY_TASK_MIN") is { } first ? Number("SLURM_ARRAY_TASK_MIN", first) : 0;
            return Checked(Number("SLURM_ARRAY_TASK_ID", task) - min, Number("SLURM_ARRAY_TASK_COUNT", count), "--shard auto (Slurm array; use a contiguous --array range)");
        }

        throw new ArgumentException("--shard auto found no scheduler: set JOB_COMPLETION_INDEX and JOB_COMPLETIONS (Kubernetes Indexed Job) or SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT (Slurm array), or give --shard k/N.");
    }

    private static int Number(string name, string value) =>
        int.TryParse(value.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var number)
            ? number
            : throw new ArgumentException($"--shard auto: {name}='{value}' is not a whole number.");

    private static Shard Checked(int index, int count, string what)
    {
        if (count < 1)
        {
            throw new ArgumentException($"{what}: the shard count must be at least 1; got {count}.");
        }

        return index >= 0 && index < count
            ? new Shard(index, count)
            : throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"{what}: shard {index} is outside 0 to {count - 1} (k counts from 0, as JOB_COMPLETION_INDEX does)."));
    }
}
