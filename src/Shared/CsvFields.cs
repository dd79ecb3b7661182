using System.Text;

namespace Saliency;

/// <summary>
/// One CSV line split into trimmed fields, RFC 4180 quoting: a field that starts with <c>"</c> runs to the closing
/// quote, may hold commas, and <c>""</c> inside it is one quote. Linked into the projects that read CSV files
/// (<c>--targets-from</c>, boxes files), so that every reader quotes alike.
/// </summary>
internal static class CsvFields
{
    /// <summary>The fields of <paramref name="line"/>, or <see langword="null"/> when a quoted field is not closed.</summary>
    public static List<string>? Split(string line)
    {
        var fields = new List<string>();
        var field = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < line.Length && line[i + 1] == '"')
                {
                    field.Append('"');
                    i++;
                }
                else if (c == '"')
                {
                    quoted = false;
                }
                else
                {
                    field.Append(c);
                }
            }
            else if (c == '"' && field.ToString().Trim().Length == 0)
            {
                field.Clear();
                quoted = true;
            }
            else if (c == ',')
            {
                fields.Add(field.ToString().Trim());
                field.Clear();
            }
            else
            {
                field.Append(c);
            }
        }

        if (quoted)
        {
            return null;
        }

        fields.Add(field.ToString().Trim());
        return fields;
    }
}
