
namespace Saliency.Benchmarking.Tests;

public class ReportTests
{
    private static readonly BenchEnvironment Environment = new("Test CPU", 2, 24, "Linux", ".NET 10", "0.107.0", "2.10.0", "0.107.0", "0.1.0", "cpu", 2, 2, AllocatorTuned: true, Kernels: "oneDNN v3.7.1 off; self-check failed with oneDNN (input gradient off by up to 0.8 of the peak in 8 of 8 cases), passed without it");

    [Fact]
    public void A_method_row_has_the_ratio_of_medians_and_the_quartiles_of_the_per_round_ratios()
    {
        var row = new BenchRow(BenchCase.GradCam, 1, [102, 104, 110], [100, 100, 100]);

        row.MedianMs.Should().Be(104);
        row.FloorMedianMs.Should().Be(100);
        row.Ratio.Should().BeApproximately(1.04, 1e-12);
        row.RoundRatioMedian.Should().BeApproximately(1.04, 1e-12);
        row.RoundRatioLowerQuartile.Should().BeApproximately(1.03, 1e-12);
        row.Verdict.Should().Be(Verdict.Met);
    }

    [Fact]
    public void Verdicts_tell_a_clear_miss_from_one_within_noise()
    {
        new BenchRow(BenchCase.Cam, 1, [110, 111, 112], [100, 100, 100]).Verdict.Should().Be(Verdict.Missed);
        new BenchRow(BenchCase.Cam, 1, [100, 101, 110, 111], [100, 100, 100, 100]).Verdict.Should().Be(Verdict.Unclear);
        new BenchRow(BenchCase.Forward, 1, [100, 100]).Verdict.Should().Be(Verdict.None);
    }

    [Fact]
    public void Samples_of_a_method_and_its_floor_must_come_from_the_same_rounds()
    {
        var act = () => new BenchRow(BenchCase.Cam, 1, [1, 2, 3], [1, 2]);
        act.Should().Throw<ArgumentException>();
    }

    [Fact]
    public void The_markdown_table_has_one_line_per_row_and_names_the_environment()
    {
        var report = new QuickBenchReport(
            Environment,
            [new BenchRow(BenchCase.Forward, 8, [300, 310, 320]), new BenchRow(BenchCase.Cam, 8, [306, 309, 330], [300, 310, 320])],
            rounds: 3,
            TimeSpan.FromSeconds(12),
            new LoadAverage(0.5, 0.4, 0.3),
            new LoadAverage(1.5, 0.6, 0.4));

        var markdown = report.ToMarkdown();
        var lines = markdown.Split('\n');
        lines[0].Should().StartWith("Kernels: oneDNN v3.7.1 off; self-check failed with oneDNN", "the header says which kernels were measured");
        lines[2].Should().StartWith("| case | B | median ms |");
        lines[4].Should().StartWith("| forward | 8 | 310 |");
        lines[5].Should().Contain("| cam | 8 | 309 |").And.Contain("| forward | 1.00× |").And.Contain("≤ 1.03×").And.Contain("met");
        markdown.Should().Contain("torch.set_num_threads(2)").And.Contain("before 0.50 0.40 0.30, after 1.50 0.60 0.40").And.Contain("glibc tuned for tensors");

        var text = report.ToText();
        text.Should().StartWith("kernels: oneDNN v3.7.1 off").And.Contain("cam").And.Contain("Test CPU, 2 logical cores, 24 GiB");
    }

    [Fact]
    public void Memory_growth_is_measured_from_the_warm_start_and_the_slope_over_warm_samples()
    {
        MemorySample[] samples = [new(0, 300, 5), new(100, 400, 9), new(200, 401, 9), new(300, 402, 9), new(400, 403, 9)];
        var report = new MemoryReport("grad-cam", 1, 400, 100, samples, liveTensorsBefore: 130, liveTensorsAfter: 130, 50, TimeSpan.FromSeconds(20), Environment, null, null);

        report.RssWarmMb.Should().Be(400);
        report.GrowthPercent.Should().BeApproximately(0.75, 1e-9);
        report.SlopeMbPer1000Runs.Should().BeApproximately(10, 1e-9);
        report.SecondHalfGrowthPercent.Should().BeApproximately(100 * 2 / 401.0, 1e-9);
        report.SecondHalfSlopeMbPer1000Runs.Should().BeApproximately(10, 1e-9);
        report.LiveTensorsLeft.Should().Be(0);
        report.IsFlat.Should().BeTrue();
        report.ToText().Should().Contain("+0.75%").And.Contain("130 → 130 (0 left)").And.Contain("oneDNN v3.7.1 off");

        var leaking = new MemoryReport("grad-cam", 1, 400, 100, samples, 130, 131, 50, TimeSpan.FromSeconds(20), Environment, null, null);
        leaking.IsFlat.Should().BeFalse();
        leaking.Leaks.Should().BeTrue();
    }

    [Fact]
    public void Rss_growth_with_flat_malloc_in_use_is_allocator_retention_not_a_leak()
    {
        MemorySample[] retaining = [new(0, 300, 5, 90, 10), new(100, 400, 9, 100, 40), new(200, 410, 9, 99, 50), new(400, 412, 9, 100.5, 52)];
        var report = new MemoryReport("grad-cam", 1, 400, 100, retaining, 130, 130, 50, TimeSpan.FromSeconds(20), Environment, null, null);

        report.IsFlat.Should().BeFalse("RSS grew by 3%");
        report.NativeInUseGrowthMb.Should().BeApproximately(0.5, 1e-9);
        report.Leaks.Should().BeFalse("malloc'd memory in use grew by 0.5 MB, under 1% of 400 MB");
        report.ToText().Should().Contain("100.0 → 100.5 MB").And.Contain("40.0 → 52.0 MB").And.Contain("leak").And.Contain("none");

        MemorySample[] leaking = [new(0, 300, 5, 90, 10), new(100, 400, 9, 100, 40), new(400, 412, 9, 110, 40)];
        new MemoryReport("grad-cam", 1, 400, 100, leaking, 130, 130, 50, TimeSpan.FromSeconds(20), Environment, null, null)
            .Leaks.Should().BeTrue("malloc'd memory in use grew by 10 MB, over 1% of 400 MB");
    }
}
