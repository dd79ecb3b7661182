using System.Globalization;
using System.Text;
using static Saliency.Benchmarking.SampleStatistics;

namespace Saliency.Benchmarking;

/// <summary>The result of <see cref="QuickBench.Run"/>: one row per case and batch size, and where it ran.</summary>
public sealed class QuickBenchReport
{
    /// <summary>Creates the report.</summary>
    /// <param name="environment">The machine and software.</param>
    /// <param name="rows">Floors and methods, grouped by batch size.</param>
    /// <param name="rounds">The number of measured rounds.</param>
    /// <param name="elapsed">Wall time of the whole run, set-up included.</param>
    /// <param name="loadBefore">The load averages before the run, if known.</param>
    /// <param name="loadAfter">The load averages after the run, if known.</param>
    /// <param name="imageSize">The input height and width.</param>
    public QuickBenchReport(BenchEnvironment environment, IReadOnlyList<BenchRow> rows, int rounds, TimeSpan elapsed, LoadAverage? loadBefore, LoadAverage? loadAfter, int imageSize = 224)
    {
        ArgumentNullException.ThrowIfNull(environment);
        ArgumentNullException.ThrowIfNull(rows);
        Environment = environment;
        Rows = rows;
        Rounds = rounds;
        Elapsed = elapsed;
        LoadBefore = loadBefore;
        LoadAfter = loadAfter;
        ImageSize = imageSize;
    }

    /// <summary>The input height and width.</summary>
    public int ImageSize { get; }

    /// <summary>The machine and software.</summary>
    public BenchEnvironment Environment { get; }

    /// <summary>Floors and methods, grouped by batch size.</summary>
    public IReadOnlyList<BenchRow> Rows { get; }

    /// <summary>The number of measured rounds (samples per row).</summary>
    public int Rounds { get; }

    /// <summary>Wall time of the whole run.</summary>
    public TimeSpan Elapsed { get; }

    /// <summary>The load averages before the run.</summary>
    public LoadAverage? LoadBefore { get; }

    /// <summary>The load averages after the run.</summary>
    public LoadAverage? LoadAfter { get; }

    /// <summary>The methods whose ratio is over their target (missed or unclear).</summary>
    public IEnumerable<BenchRow> OverTarget => Rows.Where(r => r.Verdict is Verdict.Missed or Verdict.Unclear);

    /// <summary>A GitHub-flavoured Markdown table, followed by the environment.</summary>
    /// <returns>The Markdown.</returns>
    public string ToMarkdown()
    {
        var text = new StringBuilder();
        text.AppendLine("| case | B | median ms | IQR ms | floor | ratio | per-round ratio (IQR) | target | verdict |");
        text.AppendLine("|---|---:|---:|---:|---|---:|---:|---:|---|");
        foreach (var row in Rows)
        {
            var cells = Cells(row);
            text.AppendLine("| " + string.Join(" | ", cells.Select(c => c.Length == 0 ? " " : c)) + " |");
        }

        text.AppendLine();
        foreach (var (name, value) in Facts())
        {
            text.Append("- ").Append(name).Append(": ").AppendLine(value);
        }

        return text.ToString();
    }

    /// <summary>An aligned plain-text table, followed by the environment.</summary>
    /// <returns>The text.</returns>
    public string ToText()
    {
        string[] header = ["case", "B", "median ms", "IQR ms", "floor", "ratio", "per-round", "target", "verdict"];
        var table = new List<string[]> { header };
        table.AddRange(Rows.Select(Cells));
        var widths = Enumerable.Range(0, header.Length).Select(i => table.Max(r => r[i].Length)).ToArray();
        bool[] right = [false, true, true, true, false, true, true, true, false];
        var text = new StringBuilder();
        var previousBatch = -1;
        foreach (var (cells, index) in table.Select((c, i) => (c, i)))
        {
            if (index > 0 && Rows[index - 1].Batch != previousBatch && previousBatch != -1)
            {
                text.AppendLine();
            }

            if (index > 0)
            {
                previousBatch = Rows[index - 1].Batch;
            }

            var line = string.Join("  ", cells.Select((c, i) => right[i] ? c.PadLeft(widths[i]) : c.PadRight(widths[i])));
            text.AppendLine(line.TrimEnd());
        }

        text.AppendLine();
        var nameWidth = Facts().Max(f => f.Name.Length);
        foreach (var (name, value) in Facts())
        {
            text.Append(name.PadRight(nameWidth)).Append("  ").AppendLine(value);
        }

        return text.ToString();
    }

    private IEnumerable<(string Name, string Value)> Facts()
    {
        foreach (var fact in Environment.Facts())
        {
            yield return fact;
        }

        yield return ("model", string.Create(CultureInfo.InvariantCulture, $"TorchVision resnet18, random weights, eval, layer {BenchModel.Layer}, input {ImageSize}×{ImageSize}"));
        yield return ("rounds", string.Create(CultureInfo.InvariantCulture, $"{Rounds} measured per case and batch, interleaved; {Elapsed.TotalSeconds:0.0} s in all"));
        yield return ("load average", $"before {LoadBefore?.ToString() ?? "unknown"}, after {LoadAfter?.ToString() ?? "unknown"} (1/5/15 min)");
    }

    private static string[] Cells(BenchRow row) =>
    [
        row.Case.Id,
        row.Batch.ToString(CultureInfo.InvariantCulture),
        FormatMilliseconds(row.MedianMs),
        $"{FormatMilliseconds(row.LowerQuartileMs)}–{FormatMilliseconds(row.UpperQuartileMs)}",
        row.Case.Floor ?? string.Empty,
        row.Ratio is { } ratio ? FormatRatio(ratio) : string.Empty,
        row.RoundRatioLowerQuartile is { } low && row.RoundRatioUpperQuartile is { } high ? $"{FormatRatio(low)}–{FormatRatio(high)}" : string.Empty,
        row.Case.Target is { } target ? "≤ " + FormatRatio(target) : string.Empty,
        row.Verdict switch
        {
            Verdict.Met => "met",
            Verdict.Unclear => "over (within noise)",
            Verdict.Missed => "MISSED",
            _ => string.Empty,
        },
    ];
}
