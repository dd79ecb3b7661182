using System.Collections.Immutable;
using System.Text;
using Microsoft.CodeAnalysis.Text;

namespace Saliency.Generators.Tests.Infrastructure;

/// <summary>Source with <c>[|…|]</c> around the spans where diagnostics are expected.</summary>
internal static class Markup
{
    public static (string Source, ImmutableArray<TextSpan> Spans) Parse(string markup)
    {
        var source = new StringBuilder(markup.Length);
        var spans = ImmutableArray.CreateBuilder<TextSpan>();
        var start = -1;
        for (var i = 0; i < markup.Length; i++)
        {
            if (string.CompareOrdinal(markup, i, "[|", 0, 2) == 0)
            {
                start = source.Length;
                i++;
            }
            else if (string.CompareOrdinal(markup, i, "|]", 0, 2) == 0)
            {
                spans.Add(TextSpan.FromBounds(start, source.Length));
                i++;
            }
            else
            {
                source.Append(markup[i]);
            }
        }

        return (source.ToString(), spans.ToImmutable());
    }
}
