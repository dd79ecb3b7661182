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

    /// <summary>Floors and methods, grouped by batch size: wall-clock times.</summary>
    public IReadOnlyList<BenchRow> Rows { get; }

    /// <summary>
    /// The same runs measured in CPU time of the whole process (every thread, user and kernel). On a machine where
    /// other processes compete for the cores, wall time includes waiting for a core and CPU time does not, so with
    /// one libtorch thread its ratios are the steadier ones. With more threads, libgomp's spin-waiting counts too.
    /// Empty when not measured.
    /// </summary>
    public IReadOnlyList<BenchRow> CpuRows { get; init; } = [];

    /// <summary>The number of measured rounds (samples per row).</summary>
    public int Rounds { get; }

    /// <summary>Wall time of the whole run.</summary>
    public TimeSpan Elapsed { get; }

    /// <summary>The load averages before the run.</summary>
    public LoadAverage? LoadBefore { get; }

    /// <summary>The load averages after the run.</summary>
    public LoadAverage? LoadAfter { get; }

    /// <summary>The methods whose wall-time ratio is over their target (missed or unclear).</summary>
    public IEnumerable<BenchRow> OverTarget => Rows.Where(r => r.Verdict is Verdict.Missed or Verdict.Unclear);

    /// <summary>A GitHub-flavoured Markdown table, followed by the environment.</summary>
    /// <returns>The Markdown.</returns>
    public string ToMarkdown()
    {
        var text = new StringBuilder();
        text.Append("Kernels: ").AppendLine(Environment.Kernels).AppendLine();
        MarkdownTable(text, Rows, "median ms");
        if (CpuRows.Count > 0)
        {
            text.AppendLine();
            text.AppendLine("Process CPU time of the same runs:");
            text.AppendLine();
            MarkdownTable(text, CpuRows, "median CPU ms");
        }

        text.AppendLine();
        FactList.AppendMarkdown(text, Facts());

        return text.ToString();
    }

    /// <summary>Aligned plain-text tables (wall time, then CPU time), followed by the environment.</summary>
    /// <returns>The text.</returns>
    public string ToText()
    {
        var text = new StringBuilder();
        text.Append("kernels: ").AppendLine(Environment.Kernels);
        TextTable(text, Rows, "median ms");
        if (CpuRows.Count > 0)
        {
            text.AppendLine();
            text.AppendLine("process CPU time of the same runs:");
            TextTable(text, CpuRows, "CPU ms");
        }

        text.AppendLine();
        FactList.AppendAligned(text, Facts());

        return text.ToString();
    }

    private static void MarkdownTable(StringBuilder text, IReadOnlyList<BenchRow> rows, string timeHeader)
    {
        text.AppendLine($"| case | B | {timeHeader} | IQR | floor | ratio | per-round ratio (IQR) | target | verdict |");
        text.AppendLine("|---|---:|---:|---:|---|---:|---:|---:|---|");
        foreach (var row in rows)
        {
            text.AppendLine("| " + string.Join(" | ", Cells(row).Select(c => c.Length == 0 ? " " : c)) + " |");
        }
    }

    private static void TextTable(StringBuilder text, IReadOnlyList<BenchRow> rows, string timeHeader)
    {
        string[] header = ["case", "B", timeHeader, "IQR", "floor", "ratio", "per-round", "target", "verdict"];
        var table = new List<string[]> { header };
        table.AddRange(rows.Select(Cells));
        var widths = Enumerable.Range(0, header.Length).Select(i => table.Max(r => r[i].Length)).ToArray();
        bool[] right = [false, true, true, true, false, true, true, true, false];
        for (var index = 0; index < table.Count; index++)
        {
            if (index > 1 && rows[index - 1].Batch != rows[index - 2].Batch)
            {
                text.AppendLine();
            }

            var line = string.Join("  ", table[index].Select((c, i) => right[i] ? c.PadLeft(widths[i]) : c.PadRight(widths[i])));
            text.AppendLine(line.TrimEnd());
        }
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
