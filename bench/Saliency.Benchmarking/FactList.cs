using System.Text;

namespace Saliency.Benchmarking;

/// <summary>Name–value lines under a report's tables: a Markdown list, or names padded to one column.</summary>
internal static class FactList
{
    public static void AppendMarkdown(StringBuilder text, IEnumerable<(string Name, string Value)> facts)
    {
        foreach (var (name, value) in facts)
        {
            text.Append("- ").Append(name).Append(": ").AppendLine(value);
        }
    }

    public static void AppendAligned(StringBuilder text, IEnumerable<(string Name, string Value)> facts)
    {
        var list = facts.ToList();
        var width = list.Count == 0 ? 0 : list.Max(f => f.Name.Length);
        foreach (var (name, value) in list)
        {
            text.Append(name.PadRight(width)).Append("  ").AppendLine(value);
        }
    }
}
