namespace Saliency;

/// <summary>
/// "Did you mean" hints for error messages: the nearest of a set of valid names. Internal to Saliency's own
/// assemblies (see the InternalsVisibleTo list in Saliency.Abstractions.csproj), so every message words the hint alike.
/// </summary>
internal static class NameSuggestions
{
    /// <summary>The hint for <paramref name="name"/>: <c> Did you mean 'x'?</c> (with a leading space) naming the nearest candidate, or empty when none is close.</summary>
    /// <param name="name">What the user typed.</param>
    /// <param name="candidates">The valid names.</param>
    /// <returns>The hint, to be placed right after the sentence that names the unknown name.</returns>
    public static string DidYouMean(string name, IEnumerable<string> candidates) => DidYouMean(Nearest(name, candidates));

    /// <summary>The hint for a suggestion found with <see cref="Nearest"/>: <c> Did you mean 'x'?</c>, or empty for none.</summary>
    /// <param name="suggestion">The nearest valid name, or <see langword="null"/>.</param>
    /// <returns>The hint.</returns>
    public static string DidYouMean(string? suggestion) => suggestion is null ? string.Empty : $" Did you mean '{suggestion}'?";

    /// <summary>The candidate nearest to <paramref name="name"/> (case-insensitive edit distance), or <see langword="null"/> if none is close.</summary>
    /// <param name="name">What the user typed.</param>
    /// <param name="candidates">The valid names.</param>
    /// <returns>The nearest candidate within a distance of a third of the longer name (at least 2), else <see langword="null"/>.</returns>
    public static string? Nearest(string name, IEnumerable<string> candidates)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(candidates);
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var candidate in candidates)
        {
            var distance = Distance(name.ToLowerInvariant(), candidate.ToLowerInvariant());
            if (distance < bestDistance)
            {
                best = candidate;
                bestDistance = distance;
            }
        }

        if (best is null)
        {
            return null;
        }

        var limit = Math.Max(2, Math.Max(name.Length, best.Length) / 3);
        return bestDistance <= limit ? best : null;
    }

    private static int Distance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
                current[j] = Math.Min(substitution, Math.Min(previous[j] + 1, current[j - 1] + 1));
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Length];
    }
}
