namespace Saliency.Evaluation;

/// <summary>The report's figures: deletion and insertion curves, ROAD curves and the randomization curves.</summary>
public static class ReportPlots
{
    /// <summary>Writes every figure the report has data for into <paramref name="directory"/>.</summary>
    /// <param name="report">The report.</param>
    /// <param name="directory">The output folder (created).</param>
    /// <returns>The files written.</returns>
    public static IReadOnlyList<string> Write(EvaluationReport report, string directory)
    {
        ArgumentNullException.ThrowIfNull(report);
        Directory.CreateDirectory(directory);
        var written = new List<string>();
        var score = report.Options.Score == ScoreKind.Logit ? "target logit" : $"target {report.Options.Score.ToString().ToLowerInvariant()} probability";
        var faithful = report.Methods.Where(m => m.DeletionCurve.Count > 0).ToList();
        if (faithful.Count > 0)
        {
            Save(written, directory, "deletion.png", new LineChart("Deletion (Petsiuk et al. 2018), lower is better", "share of pixels removed", score),
                [.. faithful.Select(m => Series(m.Method, m.DeletionCurve))]);
            Save(written, directory, "insertion.png", new LineChart("Insertion (Petsiuk et al. 2018), higher is better", "share of pixels inserted", score),
                [.. faithful.Select(m => Series(m.Method, m.InsertionCurve))]);
            var shares = report.Options.RoadShares;
            Save(written, directory, "road.png", new LineChart("ROAD (Rong et al. 2022): MoRF lower is better, LeRF higher", "share of pixels removed", score),
                [.. faithful.SelectMany(m => new[] { new ChartSeries($"{m.Method} MoRF", shares, m.RoadMorfCurve), new ChartSeries($"{m.Method} LeRF", shares, m.RoadLerfCurve) })]);
        }

        if (report.Sanity.Count > 1)
        {
            var layers = report.Sanity.Select(s => s.Layer).ToList();
            var steps = Enumerable.Range(0, layers.Count).Select(i => (double)i).ToList();
            var axis = "layers randomized, cumulatively from the output";
            var lowest = report.Sanity.SelectMany(s => s.Spearman.Values.Concat(s.Ssim.Values)).Min();
            var range = (Math.Min(-0.2, Math.Floor(lowest * 10) / 10), 1.0);
            Save(written, directory, "randomization-spearman.png",
                new LineChart("Cascading randomization (Adebayo et al. 2018)", axis, "Spearman rank correlation with the trained model's maps") { XCategories = layers, YRange = range },
                [.. report.Methods.Select(m => new ChartSeries(m.Method, steps, [.. report.Sanity.Select(s => s.Spearman[m.Method])]))]);
            Save(written, directory, "randomization-ssim.png",
                new LineChart("Cascading randomization (Adebayo et al. 2018)", axis, "SSIM with the trained model's maps") { XCategories = layers, YRange = range },
                [.. report.Methods.Select(m => new ChartSeries(m.Method, steps, [.. report.Sanity.Select(s => s.Ssim[m.Method])]))]);
        }

        return written;
    }

    private static ChartSeries Series(string name, IReadOnlyList<double> curve) =>
        new(name, [.. Enumerable.Range(0, curve.Count).Select(i => i / (double)(curve.Count - 1))], curve);

    private static void Save(List<string> written, string directory, string name, LineChart chart, IReadOnlyList<ChartSeries> series)
    {
        var path = Path.Combine(directory, name);
        chart.Save(series, path);
        written.Add(path);
    }
}
