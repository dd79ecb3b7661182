using System.Globalization;

namespace Saliency.Evaluation;

/// <summary>One ground-truth box: the image it belongs to, the class it marks and where it is.</summary>
/// <param name="Image">The image's file name as written in the file.</param>
/// <param name="Class">The class index.</param>
/// <param name="Box">The box, <c>x1,y1</c> exclusive.</param>
public sealed record GroundTruthBox(string Image, int Class, BoundingBox Box);

/// <summary>
/// A ground-truth boxes file: CSV with the header <c>image,class,x0,y0,x1,y1</c>, one row per box, <c>class</c> a class
/// index or one of the model's labels, pixel coordinates with <c>x1,y1</c> exclusive; an image may have several rows.
/// Rows that cannot be read are reported one line each (naming the line) and skipped; the rest is used.
/// </summary>
public sealed class BoxesFile
{
    /// <summary>The header every boxes file starts with.</summary>
    public const string Header = "image,class,x0,y0,x1,y1";

    private BoxesFile(IReadOnlyList<GroundTruthBox> boxes, IReadOnlyList<string> errors)
    {
        Boxes = boxes;
        Errors = errors;
    }

    /// <summary>The boxes read, in file order.</summary>
    public IReadOnlyList<GroundTruthBox> Boxes { get; }

    /// <summary>One line per row that was skipped, each naming the file's line and the problem.</summary>
    public IReadOnlyList<string> Errors { get; }

    /// <summary>The boxes of <paramref name="image"/> (matched by file name, ordinal), in file order.</summary>
    /// <param name="image">The image's file name.</param>
    /// <returns>Its boxes (empty when it has none).</returns>
    public IReadOnlyList<GroundTruthBox> For(string image) => [.. Boxes.Where(b => string.Equals(b.Image, image, StringComparison.Ordinal))];

    /// <summary>Reads a boxes file.</summary>
    /// <param name="path">The CSV file.</param>
    /// <param name="labels">The model's class labels (for rows naming a class), indexed by class; may be empty.</param>
    /// <returns>The boxes and the skipped rows' errors.</returns>
    /// <exception cref="InvalidDataException">The file does not start with <see cref="Header"/>.</exception>
    public static BoxesFile Load(string path, IReadOnlyList<string> labels)
    {
        ArgumentNullException.ThrowIfNull(path);
        return Parse(File.ReadAllLines(path), labels, Path.GetFileName(path));
    }

    /// <summary>Reads a boxes file's lines.</summary>
    /// <param name="lines">The file's lines, header first.</param>
    /// <param name="labels">The model's class labels (for rows naming a class), indexed by class; may be empty.</param>
    /// <param name="name">The file's name, for messages.</param>
    /// <returns>The boxes and the skipped rows' errors.</returns>
    /// <exception cref="InvalidDataException">The first line is not <see cref="Header"/>.</exception>
    public static BoxesFile Parse(IReadOnlyList<string> lines, IReadOnlyList<string> labels, string name = "boxes file")
    {
        ArgumentNullException.ThrowIfNull(lines);
        ArgumentNullException.ThrowIfNull(labels);
        if (lines.Count == 0 || !string.Equals(Normalise(lines[0]), Header, StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidDataException($"{name} line 1: expected the header '{Header}', found '{(lines.Count == 0 ? string.Empty : lines[0].Trim())}'.");
        }

        var boxes = new List<GroundTruthBox>();
        var errors = new List<string>();
        for (var i = 1; i < lines.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(lines[i]))
            {
                continue;
            }

            var problem = ParseRow(lines[i], labels, out var box);
            if (problem is null)
            {
                boxes.Add(box!);
            }
            else
            {
                errors.Add($"{name} line {i + 1}: {problem}; the row is skipped.");
            }
        }

        return new BoxesFile(boxes, errors);
    }

    private static string Normalise(string header) => string.Join(',', header.Trim().TrimStart('\uFEFF').Split(',').Select(f => f.Trim()));

    private static string? ParseRow(string line, IReadOnlyList<string> labels, out GroundTruthBox? box)
    {
        box = null;
        if (CsvFields.Split(line) is not { } fields)
        {
            return "a quoted field is not closed";
        }

        if (fields.Count != 6)
        {
            return $"expected 6 fields ({Header}), found {fields.Count}";
        }

        if (fields[0].Length == 0)
        {
            return "the image name is empty";
        }

        int classIndex;
        if (int.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out var index))
        {
            if (labels.Count > 0 && index >= labels.Count)
            {
                return $"class {index} is out of range: the model has {labels.Count} classes (0–{labels.Count - 1})";
            }

            classIndex = index;
        }
        else
        {
            classIndex = labels.ToList().FindIndex(l => string.Equals(l, fields[1], StringComparison.OrdinalIgnoreCase));
            if (classIndex < 0)
            {
                return labels.Count == 0
                    ? $"class '{fields[1]}' is not an index and the model has no labels; write the class index"
                    : $"class '{fields[1]}' is neither an index nor one of the model's labels ({string.Join(", ", labels)})";
            }
        }

        var coordinates = new int[4];
        string[] names = ["x0", "y0", "x1", "y1"];
        for (var c = 0; c < 4; c++)
        {
            if (!int.TryParse(fields[2 + c], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out coordinates[c]) || coordinates[c] < 0)
            {
                return $"{names[c]} '{fields[2 + c]}' is not a non-negative whole number of pixels";
            }
        }

        if (coordinates[2] <= coordinates[0] || coordinates[3] <= coordinates[1])
        {
            return $"the box is empty: x1 ({coordinates[2]}) must exceed x0 ({coordinates[0]}) and y1 ({coordinates[3]}) must exceed y0 ({coordinates[1]}); x1,y1 are exclusive";
        }

        box = new GroundTruthBox(fields[0], classIndex, new BoundingBox(coordinates[0], coordinates[1], coordinates[2], coordinates[3]));
        return null;
    }
}
