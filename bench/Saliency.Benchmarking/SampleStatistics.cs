using System.Globalization;

namespace Saliency.Benchmarking;

/// <summary>The small amount of statistics the benchmarks need: order statistics, least squares, and how ratios print.</summary>
public static class SampleStatistics
{
    /// <summary>The median: the middle value, or the mean of the two middle values.</summary>
    /// <param name="values">At least one value.</param>
    /// <returns>The median.</returns>
    /// <exception cref="ArgumentException"><paramref name="values"/> is empty.</exception>
    public static double Median(IEnumerable<double> values) => Quantile(values, 0.5);

    /// <summary>
    /// The <paramref name="q"/>-quantile with linear interpolation between order statistics (Hyndman and Fan's type 7,
    /// the default of R and NumPy): position <c>q·(n−1)</c> in the sorted values.
    /// </summary>
    /// <param name="values">At least one value.</param>
    /// <param name="q">Between 0 and 1.</param>
    /// <returns>The quantile.</returns>
    /// <exception cref="ArgumentException"><paramref name="values"/> is empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="q"/> is outside [0, 1].</exception>
    public static double Quantile(IEnumerable<double> values, double q)
    {
        ArgumentNullException.ThrowIfNull(values);
        ArgumentOutOfRangeException.ThrowIfLessThan(q, 0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(q, 1);
        var sorted = values.Order().ToArray();
        if (sorted.Length == 0)
        {
            throw new ArgumentException("A quantile needs at least one value.", nameof(values));
        }

        var position = q * (sorted.Length - 1);
        var below = (int)Math.Floor(position);
        var above = Math.Min(below + 1, sorted.Length - 1);
        return sorted[below] + ((position - below) * (sorted[above] - sorted[below]));
    }

    /// <summary>The least-squares slope of <paramref name="y"/> against <paramref name="x"/>.</summary>
    /// <param name="x">The abscissae, such as run numbers.</param>
    /// <param name="y">The ordinates, such as RSS in MB; as many as <paramref name="x"/>.</param>
    /// <returns>The slope, in units of y per unit of x; 0 when every x is equal.</returns>
    /// <exception cref="ArgumentException">The lists differ in length or hold fewer than two points.</exception>
    public static double Slope(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        if (x.Count != y.Count || x.Count < 2)
        {
            throw new ArgumentException($"A slope needs two lists of the same length, at least 2; got {x.Count} and {y.Count}.", nameof(y));
        }

        var meanX = x.Average();
        var meanY = y.Average();
        double covariance = 0, variance = 0;
        for (var i = 0; i < x.Count; i++)
        {
            covariance += (x[i] - meanX) * (y[i] - meanY);
            variance += (x[i] - meanX) * (x[i] - meanX);
        }

        return variance == 0 ? 0 : covariance / variance;
    }

    /// <summary>A ratio as the tables print it: two decimals and a multiplication sign, such as <c>1.02×</c>.</summary>
    /// <param name="ratio">The ratio.</param>
    /// <returns>The text; <c>–</c> for NaN or infinity.</returns>
    public static string FormatRatio(double ratio) =>
        double.IsFinite(ratio) ? ratio.ToString("0.00", CultureInfo.InvariantCulture) + "×" : "–";

    /// <summary>Milliseconds as the tables print them: three significant digits, at least one decimal below 100.</summary>
    /// <param name="milliseconds">The duration in ms.</param>
    /// <returns>The text, such as <c>51.3</c>, <c>312</c> or <c>0.84</c>.</returns>
    public static string FormatMilliseconds(double milliseconds) => milliseconds switch
    {
        _ when !double.IsFinite(milliseconds) => "–",
        >= 100 => milliseconds.ToString("0", CultureInfo.InvariantCulture),
        >= 10 => milliseconds.ToString("0.0", CultureInfo.InvariantCulture),
        _ => milliseconds.ToString("0.00", CultureInfo.InvariantCulture),
    };
}
