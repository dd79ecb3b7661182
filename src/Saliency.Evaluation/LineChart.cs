using System.Globalization;
using Saliency.Imaging;
using SkiaSharp;

namespace Saliency.Evaluation;

/// <summary>One line of a <see cref="LineChart"/>: its legend name and its points.</summary>
/// <param name="Name">The legend entry.</param>
/// <param name="X">The x values.</param>
/// <param name="Y">The y values, as many as <paramref name="X"/>.</param>
public sealed record ChartSeries(string Name, IReadOnlyList<double> X, IReadOnlyList<double> Y);

/// <summary>
/// A plain line chart for papers: white background, axes with ticks and labels, one coloured line with markers per
/// series, a legend; text in the embedded DejaVu Sans (no system fonts).
/// </summary>
/// <param name="Title">The title above the plot.</param>
/// <param name="XLabel">The x axis's label.</param>
/// <param name="YLabel">The y axis's label.</param>
public sealed record LineChart(string Title, string XLabel, string YLabel)
{
    private const int Width = 960;
    private const int Height = 600;
    private const int Left = 80;
    private const int Right = 250;
    private const int Top = 50;

    private static readonly SKColor[] s_palette =
    [
        new(0x1f, 0x77, 0xb4), new(0xff, 0x7f, 0x0e), new(0x2c, 0xa0, 0x2c), new(0xd6, 0x27, 0x28), new(0x94, 0x67, 0xbd),
        new(0x8c, 0x56, 0x4b), new(0xe3, 0x77, 0xc2), new(0x7f, 0x7f, 0x7f), new(0xbc, 0xbd, 0x22), new(0x17, 0xbe, 0xcf),
    ];

    /// <summary>The y range; <see langword="null"/> fits the data (0 to 1 fits most scores).</summary>
    public (double Min, double Max)? YRange { get; init; }

    /// <summary>Names for the x ticks at 0, 1, 2, … (a categorical axis); <see langword="null"/> for numeric ticks.</summary>
    public IReadOnlyList<string>? XCategories { get; init; }

    /// <summary>Renders the chart to a PNG file.</summary>
    /// <param name="series">The lines (at most ten colours; more repeat).</param>
    /// <param name="path">The PNG file; its folder is created.</param>
    public void Save(IReadOnlyList<ChartSeries> series, string path)
    {
        ArgumentNullException.ThrowIfNull(series);
        using var bitmap = Render(series);
        var folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (folder is not null)
        {
            Directory.CreateDirectory(folder);
        }

        ImageFile.SavePng(bitmap, path);
    }

    /// <summary>Renders the chart.</summary>
    /// <param name="series">The lines.</param>
    /// <returns>A 960×600 bitmap the caller owns.</returns>
    public SKBitmap Render(IReadOnlyList<ChartSeries> series)
    {
        ArgumentNullException.ThrowIfNull(series);
        var points = series.SelectMany(s => s.X.Zip(s.Y)).ToList();
        var (xMin, xMax) = points.Count == 0 ? (0.0, 1.0) : (points.Min(p => p.First), points.Max(p => p.First));
        var (yMin, yMax) = YRange ?? (points.Count == 0
            ? (0.0, 1.0)
            : (Math.Floor(Math.Min(0, points.Min(p => p.Second)) * 10) / 10, Math.Ceiling(points.Max(p => p.Second) * 10) / 10));
        (xMax, yMax) = (xMax > xMin ? xMax : xMin + 1, yMax > yMin ? yMax : yMin + 1);
        var bottom = XCategories is null ? 70 : 150;
        var (plotW, plotH) = (Width - Left - Right, Height - Top - bottom);
        float X(double x) => (float)(Left + ((x - xMin) / (xMax - xMin) * plotW));
        float Y(double y) => (float)(Top + plotH - ((y - yMin) / (yMax - yMin) * plotH));

        var bitmap = new SKBitmap(Width, Height);
        using var canvas = new SKCanvas(bitmap);
        canvas.Clear(SKColors.White);
        using var font = new SKFont(EmbeddedFont.Typeface, 15);
        using var titleFont = new SKFont(EmbeddedFont.Typeface, 19);
        using var ink = new SKPaint { Color = SKColors.Black, IsAntialias = true, StrokeWidth = 1.5f, Style = SKPaintStyle.Stroke };
        using var grid = new SKPaint { Color = new SKColor(0xdd, 0xdd, 0xdd), StrokeWidth = 1, Style = SKPaintStyle.Stroke };
        using var text = new SKPaint { Color = SKColors.Black, IsAntialias = true };

        canvas.DrawText(Title, Left, Top - 18, SKTextAlign.Left, titleFont, text);
        for (var i = 0; i <= 5; i++)
        {
            var y = yMin + ((yMax - yMin) * i / 5);
            canvas.DrawLine(Left, Y(y), Left + plotW, Y(y), grid);
            canvas.DrawText(y.ToString("0.##", CultureInfo.InvariantCulture), Left - 8, Y(y) + 5, SKTextAlign.Right, font, text);
        }

        if (XCategories is { } categories)
        {
            for (var i = 0; i < categories.Count; i++)
            {
                canvas.Save();
                canvas.RotateDegrees(-40, X(i), Top + plotH + 10);
                canvas.DrawText(categories[i], X(i) + 4, Top + plotH + 20, SKTextAlign.Right, font, text);
                canvas.Restore();
            }
        }
        else
        {
            for (var i = 0; i <= 5; i++)
            {
                var x = xMin + ((xMax - xMin) * i / 5);
                canvas.DrawText(x.ToString("0.##", CultureInfo.InvariantCulture), X(x), Top + plotH + 20, SKTextAlign.Center, font, text);
            }
        }

        canvas.DrawRect(Left, Top, plotW, plotH, ink);
        canvas.DrawText(XLabel, Left + (plotW / 2f), Height - 12, SKTextAlign.Center, font, text);
        canvas.Save();
        canvas.RotateDegrees(-90, 18, Top + (plotH / 2f));
        canvas.DrawText(YLabel, 18, Top + (plotH / 2f), SKTextAlign.Center, font, text);
        canvas.Restore();

        for (var s = 0; s < series.Count; s++)
        {
            var color = s_palette[s % s_palette.Length];
            using var line = new SKPaint { Color = color, IsAntialias = true, StrokeWidth = 2.5f, Style = SKPaintStyle.Stroke };
            using var fill = new SKPaint { Color = color, IsAntialias = true, Style = SKPaintStyle.Fill };
            var data = series[s].X.Zip(series[s].Y).ToList();
            for (var i = 0; i < data.Count; i++)
            {
                if (i > 0)
                {
                    canvas.DrawLine(X(data[i - 1].First), Y(data[i - 1].Second), X(data[i].First), Y(data[i].Second), line);
                }

                canvas.DrawCircle(X(data[i].First), Y(data[i].Second), 3.5f, fill);
            }

            var legendY = Top + 10 + (s * 24);
            canvas.DrawLine(Left + plotW + 20, legendY, Left + plotW + 50, legendY, line);
            canvas.DrawText(series[s].Name, Left + plotW + 58, legendY + 5, SKTextAlign.Left, font, text);
        }

        return bitmap;
    }
}
