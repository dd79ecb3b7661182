using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Engines;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace Saliency.Benchmarks;

/// <summary>Settings read from the command line before BenchmarkDotNet sees it.</summary>
internal static class BenchSettings
{
    /// <summary>libtorch intra-op threads.</summary>
    public static int Threads { get; set; } = Environment.ProcessorCount;

    /// <summary>The device.</summary>
    public static string Device { get; set; } = "cpu";
}

/// <summary>
/// In-process (TorchSharp's natives and the plugins folder sit next to this executable; a generated project would
/// have neither), the monitoring strategy for calls of 50 ms to 1 s (no pilot, no overhead runs), few iterations so
/// that the whole run takes minutes, and one category per method with its floor as the baseline.
/// </summary>
public sealed class BenchConfig : ManualConfig
{
    /// <summary>Creates the configuration.</summary>
    public BenchConfig()
    {
        AddJob(Job.Default
            .WithToolchain(InProcessEmitToolchain.Instance)
            .WithStrategy(RunStrategy.Monitoring)
            .WithLaunchCount(1)
            .WithWarmupCount(2)
            .WithIterationCount(9)
            .WithInvocationCount(1)
            .WithUnrollFactor(1)
            .WithId("InProcess"));
        AddColumn(StatisticColumn.Median, StatisticColumn.Q1, StatisticColumn.Q3);
        AddDiagnoser(MemoryDiagnoser.Default);
        AddLogicalGroupRules(BenchmarkLogicalGroupRule.ByCategory, BenchmarkLogicalGroupRule.ByParams);
        WithOrderer(new BenchmarkDotNet.Order.DefaultOrderer(BenchmarkDotNet.Order.SummaryOrderPolicy.Declared));
    }
}
