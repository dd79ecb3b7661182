namespace Saliency.Benchmarking;

/// <summary>Whether a method stayed within its target ratio to its floor.</summary>
public enum Verdict
{
    /// <summary>A floor: nothing to judge.</summary>
    None,

    /// <summary>The ratio of medians is within the target.</summary>
    Met,

    /// <summary>The ratio of medians is over the target, but the lower quartile of the per-round ratios is within it: noise cannot be ruled out.</summary>
    Unclear,

    /// <summary>Even the lower quartile of the per-round ratios is over the target.</summary>
    Missed,
}

/// <summary>The timings of one case at one batch size, and for a method its ratio to its floor.</summary>
public sealed class BenchRow
{
    /// <summary>Creates a row from the samples of the case and, for a method, of its floor in the same rounds.</summary>
    /// <param name="case">The case.</param>
    /// <param name="batch">The batch size.</param>
    /// <param name="samplesMs">One time per round, in ms.</param>
    /// <param name="floorSamplesMs">For a method, its floor's time in the same rounds (same length); else <see langword="null"/>.</param>
    /// <exception cref="ArgumentException">No samples, or the floor's samples do not pair with them.</exception>
    public BenchRow(BenchCase @case, int batch, IReadOnlyList<double> samplesMs, IReadOnlyList<double>? floorSamplesMs = null)
    {
        ArgumentNullException.ThrowIfNull(@case);
        ArgumentNullException.ThrowIfNull(samplesMs);
        if (samplesMs.Count == 0)
        {
            throw new ArgumentException($"No samples for {@case.Id} at batch {batch}.", nameof(samplesMs));
        }

        if (floorSamplesMs is not null && floorSamplesMs.Count != samplesMs.Count)
        {
            throw new ArgumentException($"{@case.Id} has {samplesMs.Count} samples but its floor {floorSamplesMs.Count}; they must come from the same rounds.", nameof(floorSamplesMs));
        }

        Case = @case;
        Batch = batch;
        SamplesMs = samplesMs;
        MedianMs = SampleStatistics.Median(samplesMs);
        LowerQuartileMs = SampleStatistics.Quantile(samplesMs, 0.25);
        UpperQuartileMs = SampleStatistics.Quantile(samplesMs, 0.75);
        MinMs = samplesMs.Min();
        MaxMs = samplesMs.Max();
        if (floorSamplesMs is not null)
        {
            FloorMedianMs = SampleStatistics.Median(floorSamplesMs);
            Ratio = MedianMs / FloorMedianMs.Value;
            var paired = samplesMs.Zip(floorSamplesMs, (m, f) => m / f).ToList();
            RoundRatioLowerQuartile = SampleStatistics.Quantile(paired, 0.25);
            RoundRatioMedian = SampleStatistics.Median(paired);
            RoundRatioUpperQuartile = SampleStatistics.Quantile(paired, 0.75);
        }
    }

    /// <summary>The case.</summary>
    public BenchCase Case { get; }

    /// <summary>The batch size.</summary>
    public int Batch { get; }

    /// <summary>One time per round, in ms, in the order measured.</summary>
    public IReadOnlyList<double> SamplesMs { get; }

    /// <summary>The median time.</summary>
    public double MedianMs { get; }

    /// <summary>The lower quartile of the times.</summary>
    public double LowerQuartileMs { get; }

    /// <summary>The upper quartile of the times.</summary>
    public double UpperQuartileMs { get; }

    /// <summary>The fastest round.</summary>
    public double MinMs { get; }

    /// <summary>The slowest round.</summary>
    public double MaxMs { get; }

    /// <summary>For a method, the median time of its floor in the same rounds.</summary>
    public double? FloorMedianMs { get; }

    /// <summary>For a method, median time over its floor's median time: the headline ratio.</summary>
    public double? Ratio { get; }

    /// <summary>For a method, the median of the per-round ratios (method ÷ floor, timed next to each other in one round).</summary>
    public double? RoundRatioMedian { get; }

    /// <summary>For a method, the lower quartile of the per-round ratios.</summary>
    public double? RoundRatioLowerQuartile { get; }

    /// <summary>For a method, the upper quartile of the per-round ratios.</summary>
    public double? RoundRatioUpperQuartile { get; }

    /// <summary>How the ratio compares with the case's target.</summary>
    public Verdict Verdict => (Ratio, Case.Target, RoundRatioLowerQuartile) switch
    {
        (null, _, _) or (_, null, _) => Verdict.None,
        ({ } ratio, { } target, _) when ratio <= target => Verdict.Met,
        (_, { } target, { } lower) when lower <= target => Verdict.Unclear,
        _ => Verdict.Missed,
    };
}
