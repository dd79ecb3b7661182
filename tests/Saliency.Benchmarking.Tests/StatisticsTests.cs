
namespace Saliency.Benchmarking.Tests;

public class StatisticsTests
{
    [Fact]
    public void Median_of_an_odd_count_is_the_middle_value_and_of_an_even_count_the_mean_of_the_two()
    {
        SampleStatistics.Median([5, 1, 3]).Should().Be(3);
        SampleStatistics.Median([4, 1, 3, 2]).Should().Be(2.5);
        SampleStatistics.Median([7]).Should().Be(7);
    }

    [Fact]
    public void Quantiles_interpolate_between_order_statistics_like_numpy()
    {
        double[] values = [10, 20, 30, 40, 50];
        SampleStatistics.Quantile(values, 0).Should().Be(10);
        SampleStatistics.Quantile(values, 1).Should().Be(50);
        SampleStatistics.Quantile(values, 0.25).Should().Be(20);
        // numpy.quantile([1, 2, 3, 4], 0.25) == 1.75
        SampleStatistics.Quantile([4, 3, 2, 1], 0.25).Should().BeApproximately(1.75, 1e-12);
    }

    [Fact]
    public void Empty_samples_and_out_of_range_quantiles_are_refused()
    {
        var empty = () => SampleStatistics.Median([]);
        empty.Should().Throw<ArgumentException>();
        var bad = () => SampleStatistics.Quantile([1.0], 1.5);
        bad.Should().Throw<ArgumentOutOfRangeException>();
    }

    [Fact]
    public void Slope_is_the_least_squares_fit()
    {
        SampleStatistics.Slope([0, 1, 2, 3], [1, 3, 5, 7]).Should().BeApproximately(2, 1e-12);
        // Points (0,0), (1,1), (2,1): slope = Σ(x−x̄)(y−ȳ)/Σ(x−x̄)² = 1/2
        SampleStatistics.Slope([0, 1, 2], [0, 1, 1]).Should().BeApproximately(0.5, 1e-12);
        SampleStatistics.Slope([1, 1], [2, 5]).Should().Be(0);
        var mismatch = () => SampleStatistics.Slope([1, 2], [1]);
        mismatch.Should().Throw<ArgumentException>();
    }

    [Theory]
    [InlineData(1.0, "1.00×")]
    [InlineData(1.0349, "1.03×")]
    [InlineData(0.956, "0.96×")]
    [InlineData(double.NaN, "–")]
    public void Ratios_print_with_two_decimals(double ratio, string expected) =>
        SampleStatistics.FormatRatio(ratio).Should().Be(expected);

    [Theory]
    [InlineData(312.4, "312")]
    [InlineData(51.34, "51.3")]
    [InlineData(0.844, "0.84")]
    public void Milliseconds_print_with_three_significant_digits(double ms, string expected) =>
        SampleStatistics.FormatMilliseconds(ms).Should().Be(expected);

    [Fact]
    public void Load_average_and_proc_lines_parse()
    {
        LoadAverage.Parse("1.10 2.54 2.36 3/412 9876").Should().Be(new LoadAverage(1.10, 2.54, 2.36));
        LoadAverage.Parse("garbage").Should().BeNull();
        ProcessMemory.ParseKilobytes("VmRSS:\t  412345 kB").Should().Be(412345);
        ProcessMemory.ParseKilobytes("no colon").Should().BeNull();
    }
}
