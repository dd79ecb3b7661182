using SkiaSharp;

namespace Saliency.Imaging;

/// <summary>
/// A labelled grid of images on white: an optional title, one heading per column, and one row per subject with its
/// label (one or more lines) on the left. Every cell is scaled to the same size.
/// </summary>
/// <example>
/// <code>
/// var sheet = new ContactSheet(["Original", "Grad-CAM"], cellWidth: 288, cellHeight: 288);
/// sheet.AddRow("Sneaker\n0.97", [image, overlay]);
/// using var figure = sheet.Render("canvas-01.png");
/// </code>
/// </example>
public sealed class ContactSheet
{
    private const int Margin = 16;
    private const int Gap = 8;
    private const float TitleSize = 20;
    private const float HeadingSize = 17;
    private const float LabelSize = 16;

    private readonly IReadOnlyList<string> _columns;
    private readonly List<(string Label, IReadOnlyList<SKBitmap> Cells)> _rows = [];

    /// <summary>Creates an empty sheet.</summary>
    /// <param name="columns">The column headings.</param>
    /// <param name="cellWidth">The width every cell is scaled to.</param>
    /// <param name="cellHeight">The height every cell is scaled to.</param>
    /// <param name="nearest">Whether cells are scaled with nearest neighbour (crisp pixels) instead of bilinear.</param>
    public ContactSheet(IReadOnlyList<string> columns, int cellWidth, int cellHeight, bool nearest = false)
    {
        ArgumentNullException.ThrowIfNull(columns);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(cellWidth);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(cellHeight);
        _columns = columns;
        CellWidth = cellWidth;
        CellHeight = cellHeight;
        Nearest = nearest;
    }

    /// <summary>The width of a cell.</summary>
    public int CellWidth { get; }

    /// <summary>The height of a cell.</summary>
    public int CellHeight { get; }

    /// <summary>Whether cells are scaled with nearest neighbour.</summary>
    public bool Nearest { get; }

    /// <summary>Adds a row. The sheet does not own the bitmaps: keep them alive until <see cref="Render"/>.</summary>
    /// <param name="label">The row's label; <c>\n</c> separates lines.</param>
    /// <param name="cells">One image per column.</param>
    public void AddRow(string label, IReadOnlyList<SKBitmap> cells)
    {
        ArgumentNullException.ThrowIfNull(label);
        ArgumentNullException.ThrowIfNull(cells);
        if (cells.Count != _columns.Count)
        {
            throw new ArgumentException($"A row needs one image per column ({_columns.Count}); got {cells.Count}.", nameof(cells));
        }

        _rows.Add((label, cells));
    }

    /// <summary>Draws the sheet.</summary>
    /// <param name="title">A title above the grid, or <see langword="null"/>.</param>
    /// <returns>The figure; the caller disposes it.</returns>
    public SKBitmap Render(string? title = null)
    {
        using var titleFont = new SKFont(EmbeddedFont.Typeface, TitleSize);
        using var headingFont = new SKFont(EmbeddedFont.Typeface, HeadingSize);
        using var labelFont = new SKFont(EmbeddedFont.Typeface, LabelSize);
        var labelWidth = _rows.Count == 0 ? 0 : (int)Math.Ceiling(_rows.SelectMany(r => r.Label.Split('\n')).Max(line => labelFont.MeasureText(line))) + Gap;
        var titleHeight = title is null ? 0 : (int)Math.Ceiling(titleFont.Spacing) + Gap;
        var headingHeight = (int)Math.Ceiling(headingFont.Spacing) + Gap;
        var gridLeft = Margin + labelWidth;
        var gridTop = Margin + titleHeight + headingHeight;
        var width = gridLeft + (_columns.Count * (CellWidth + Gap)) - Gap + Margin;
        var height = gridTop + (_rows.Count * (CellHeight + Gap)) - (_rows.Count > 0 ? Gap : 0) + Margin;

        var sheet = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        using var canvas = new SKCanvas(sheet);
        using var ink = new SKPaint { Color = SKColors.Black, IsAntialias = true };
        canvas.Clear(SKColors.White);
        if (title is not null)
        {
            canvas.DrawText(title, Margin, Margin - titleFont.Metrics.Ascent, SKTextAlign.Left, titleFont, ink);
        }

        for (var c = 0; c < _columns.Count; c++)
        {
            var centre = gridLeft + (c * (CellWidth + Gap)) + (CellWidth / 2f);
            canvas.DrawText(_columns[c], centre, Margin + titleHeight - headingFont.Metrics.Ascent, SKTextAlign.Center, headingFont, ink);
        }

        var sampling = Nearest ? new SKSamplingOptions(SKFilterMode.Nearest) : new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear);
        for (var r = 0; r < _rows.Count; r++)
        {
            var top = gridTop + (r * (CellHeight + Gap));
            var lines = _rows[r].Label.Split('\n');
            var textTop = top + (CellHeight / 2f) - (lines.Length * labelFont.Spacing / 2f) - labelFont.Metrics.Ascent;
            for (var l = 0; l < lines.Length; l++)
            {
                canvas.DrawText(lines[l], Margin, textTop + (l * labelFont.Spacing), SKTextAlign.Left, labelFont, ink);
            }

            for (var c = 0; c < _columns.Count; c++)
            {
                using var image = SKImage.FromBitmap(_rows[r].Cells[c]);
                var left = gridLeft + (c * (CellWidth + Gap));
                canvas.DrawImage(image, SKRect.Create(left, top, CellWidth, CellHeight), sampling);
            }
        }

        canvas.Flush();
        return sheet;
    }
}
