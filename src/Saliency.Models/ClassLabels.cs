using System.Text;

namespace Saliency.Models;

/// <summary>
/// A model's class names, and the conversion between what users type (an index or a name in any case, with spaces
/// or hyphens) and class indices.
/// </summary>
public sealed class ClassLabels
{
    private readonly IReadOnlyList<string> _names;
    private readonly string[] _slugs;

    /// <summary>Creates the labels; an empty list means the classes have no names (indices only).</summary>
    /// <param name="names">The class names, by index.</param>
    public ClassLabels(IReadOnlyList<string> names)
    {
        ArgumentNullException.ThrowIfNull(names);
        _names = names;
        _slugs = UniqueSlugs(names);
    }

    /// <summary>Labels for a model whose classes have no names.</summary>
    public static ClassLabels None { get; } = new([]);

    /// <summary>The display name of class <paramref name="index"/>: its name, or the index when it has none.</summary>
    /// <param name="index">The class index.</param>
    /// <returns>The name.</returns>
    public string Name(long index) => index >= 0 && index < _names.Count ? _names[(int)index] : index.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The number of named classes (0 when the classes have no names).</summary>
    public int Count => _names.Count;

    /// <summary>
    /// The class name made safe for file and key names (<c>Ankle boot</c> → <c>ankle-boot</c>), or the index. Slugs are
    /// unique: names that would share one (<c>b/x</c> and <c>B X</c>) each get their class index appended
    /// (<c>b-x-3</c>, <c>b-x-7</c>), and a name without letters or digits is its index.
    /// </summary>
    /// <param name="index">The class index.</param>
    /// <returns>The slug.</returns>
    public string Slug(long index) => index >= 0 && index < _slugs.Length ? _slugs[index] : Name(index);

    /// <summary>Resolves a class index or name to an index.</summary>
    /// <param name="text">An index (<c>7</c>) or a name (<c>sneaker</c>, <c>Ankle boot</c>, <c>ankle-boot</c>).</param>
    /// <param name="classes">The model's class count, if known, to check indices against.</param>
    /// <returns>The class index.</returns>
    /// <exception cref="ArgumentException">The index is out of range or no class has that name (the message suggests the nearest).</exception>
    public long Resolve(string text, long? classes)
    {
        ArgumentNullException.ThrowIfNull(text);
        var trimmed = text.Trim();
        var count = classes ?? (_names.Count > 0 ? _names.Count : null);
        if (long.TryParse(trimmed, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var index))
        {
            if (index < 0 || (count is { } n && index >= n))
            {
                throw new ArgumentException($"Target {index} is out of range: the model has {count} classes (0 to {count - 1}).");
            }

            return index;
        }

        var slug = ToSlug(trimmed);
        var exact = Array.IndexOf(_slugs, slug);
        if (exact >= 0)
        {
            return exact;
        }

        var named = Enumerable.Range(0, _names.Count).Where(i => ToSlug(_names[i]) == slug).ToList();
        if (named.Count == 1)
        {
            return named[0];
        }

        if (named.Count > 1)
        {
            throw new ArgumentException($"Label '{trimmed}' names {named.Count} classes ({string.Join(", ", named.Select(i => $"{i} '{_names[i]}'"))}); give the class index or {string.Join(" or ", named.Select(i => _slugs[i]))}.");
        }

        if (_names.Count == 0)
        {
            throw new ArgumentException($"Unknown label '{trimmed}': this model's classes have no names; give class indices.");
        }

        var hint = NameSuggestions.DidYouMean(slug, _names.Select(ToSlug));
        throw new ArgumentException($"Unknown label '{trimmed}'.{hint} Labels: {string.Join(", ", _slugs)}.");
    }

    private static string[] UniqueSlugs(IReadOnlyList<string> names)
    {
        var slugs = names.Select(ToSlug).ToArray();
        var shared = slugs.GroupBy(s => s, StringComparer.Ordinal).Where(g => g.Count() > 1).Select(g => g.Key).ToHashSet(StringComparer.Ordinal);
        var taken = new HashSet<string>(slugs.Where(s => s.Length > 0 && !shared.Contains(s)), StringComparer.Ordinal);
        for (var i = 0; i < slugs.Length; i++)
        {
            if (slugs[i].Length > 0 && !shared.Contains(slugs[i]))
            {
                continue;
            }

            var index = i.ToString(System.Globalization.CultureInfo.InvariantCulture);
            var unique = slugs[i].Length == 0 ? index : $"{slugs[i]}-{index}";
            while (!taken.Add(unique))
            {
                unique += "-" + index;
            }

            slugs[i] = unique;
        }

        return slugs;
    }

    /// <summary>
    /// A file-name-safe form of <paramref name="name"/>: lower case, letters and digits kept, every other run of
    /// characters one <c>-</c>, none at either end (empty when nothing is left).
    /// </summary>
    /// <param name="name">A label, a file stem.</param>
    /// <returns>The slug.</returns>
    public static string ToSlug(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var builder = new StringBuilder(name.Length);
        foreach (var c in name.ToLowerInvariant())
        {
            if (char.IsLetterOrDigit(c))
            {
                builder.Append(c);
            }
            else if (builder.Length > 0 && builder[^1] != '-')
            {
                builder.Append('-');
            }
        }

        return builder.ToString().TrimEnd('-');
    }
}
