using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Saliency.Evaluation;

/// <summary>Writes an <see cref="EvaluationReport"/> as a Markdown table or as JSON.</summary>
public static class ReportWriter
{
    private static readonly (string Key, string Header, Func<MethodScores, double?> Value)[] s_columns =
    [
        ("pointing_game", "pointing ↑", s => s.PointingGame),
        ("energy_pointing", "energy ↑", s => s.EnergyPointing),
        ("energy_among_objects", "energy among objects ↑", s => s.EnergyAmongObjects),
        ("mean_iou", "mean IoU ↑", s => s.MeanIoU),
        ("iou_at_0.5", "IoU ≥ 0.5 ↑", s => s.IoUAtHalf),
        ("deletion_auc", "deletion AUC ↓", s => s.DeletionAuc),
        ("insertion_auc", "insertion AUC ↑", s => s.InsertionAuc),
        ("average_drop", "avg drop ↓", s => s.AverageDrop),
        ("increase_in_confidence", "avg increase ↑", s => s.IncreaseInConfidence),
        ("road_morf", "ROAD MoRF ↓", s => s.RoadMorf),
        ("road_lerf", "ROAD LeRF ↑", s => s.RoadLerf),
    ];

    /// <summary>The JSON keys of the per-method metrics, in table order.</summary>
    public static IReadOnlyList<string> MetricKeys { get; } = [.. s_columns.Select(c => c.Key)];

    /// <summary>
    /// The report as Markdown: one table row per method and one column per measured metric (three decimals; ↑ marks
    /// metrics where higher is better), then the sanity check's last step when it ran.
    /// </summary>
    /// <param name="report">The report.</param>
    /// <returns>Markdown text ending in a newline.</returns>
    public static string Markdown(EvaluationReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var columns = s_columns.Where(c => report.Methods.Any(m => c.Value(m) is not null)).ToList();
        var text = new StringBuilder();
        var located = report.Methods.Any(m => m.PointingGame is not null);
        text.Append(CultureInfo.InvariantCulture, $"{report.Images} image(s), {report.Methods[0].Pairs} (image, target) pair(s); ")
            .Append(located ? "localization on every pair, " : "no localization, ")
            .Append(report.Methods[0].FaithfulnessPairs > 0 ? $"faithfulness on {report.Methods[0].FaithfulnessPairs} of them." : "no faithfulness.")
            .Append("\n\n");
        text.Append("| method | pairs |").AppendJoin(string.Empty, columns.Select(c => $" {c.Header} |")).Append('\n');
        text.Append("|---|---:|").AppendJoin(string.Empty, columns.Select(_ => "---:|")).Append('\n');
        foreach (var method in report.Methods)
        {
            text.Append(CultureInfo.InvariantCulture, $"| {method.Method} | {method.Pairs} |")
                .AppendJoin(string.Empty, columns.Select(c => $" {Format(c.Value(method))} |")).Append('\n');
        }

        if (report.Sanity.Count > 1)
        {
            var last = report.Sanity[^1];
            text.Append('\n').Append(CultureInfo.InvariantCulture, $"Cascading randomization ({report.Sanity.Count - 1} layers, all randomized at the end; 1 = unchanged maps):\n\n");
            text.Append("| method | Spearman, top layer randomized | Spearman, all randomized | SSIM, all randomized |\n|---|---:|---:|---:|\n");
            foreach (var method in report.Methods)
            {
                text.Append(CultureInfo.InvariantCulture, $"| {method.Method} | {Format(report.Sanity[1].Spearman[method.Method])} | {Format(last.Spearman[method.Method])} | {Format(last.Ssim[method.Method])} |\n");
            }
        }

        return text.ToString();
    }

    /// <summary>
    /// The report as JSON: <c>{"images": N, "methods": {"&lt;id&gt;": {"pointing_game": …, …, "curves": {…}}}, "sanity": {…}}</c>.
    /// Localization metrics and shares are fractions in <c>[0,1]</c>; metrics not measured are left out.
    /// </summary>
    /// <param name="report">The report.</param>
    /// <returns>Indented JSON.</returns>
    public static string Json(EvaluationReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var methods = new JsonObject();
        foreach (var method in report.Methods)
        {
            var entry = new JsonObject { ["pairs"] = method.Pairs, ["faithfulness_pairs"] = method.FaithfulnessPairs };
            foreach (var (key, _, value) in s_columns)
            {
                if (value(method) is { } v)
                {
                    entry[key] = Math.Round(v, 4);
                }
            }

            entry["explain_seconds"] = Math.Round(method.ExplainSeconds, 2);
            if (method.DeletionCurve.Count > 0)
            {
                entry["curves"] = new JsonObject
                {
                    ["deletion"] = Array(method.DeletionCurve),
                    ["insertion"] = Array(method.InsertionCurve),
                    ["road_shares"] = Array(report.Options.RoadShares),
                    ["road_morf"] = Array(method.RoadMorfCurve),
                    ["road_lerf"] = Array(method.RoadLerfCurve),
                };
            }

            methods[method.Method] = entry;
        }

        var root = new JsonObject
        {
            ["images"] = report.Images,
            ["score"] = report.Options.Score.ToString().ToLowerInvariant(),
            ["pointing_tolerance_px"] = report.Options.Tolerance,
            ["methods"] = methods,
        };
        if (report.Sanity.Count > 0)
        {
            root["sanity"] = new JsonObject
            {
                ["images"] = Math.Min(report.Options.SanityImages, report.Images),
                ["layers"] = new JsonArray([.. report.Sanity.Select(s => (JsonNode?)JsonValue.Create(s.Layer))]),
                ["spearman"] = PerMethod(report, s => s.Spearman),
                ["ssim"] = PerMethod(report, s => s.Ssim),
            };
        }

        root["seconds"] = Math.Round(report.Seconds, 1);
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";
    }

    private static JsonObject PerMethod(EvaluationReport report, Func<RandomizationStep, IReadOnlyDictionary<string, double>> select)
    {
        var result = new JsonObject();
        foreach (var method in report.Methods)
        {
            result[method.Method] = Array([.. report.Sanity.Select(s => select(s)[method.Method])]);
        }

        return result;
    }

    private static JsonArray Array(IReadOnlyList<double> values) => new([.. values.Select(v => (JsonNode?)JsonValue.Create(Math.Round(v, 4)))]);

    private static string Format(double? value) => value is { } v ? v.ToString("F3", CultureInfo.InvariantCulture) : "–";
}
