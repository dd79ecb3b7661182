using System.Globalization;

namespace Saliency.Cli.Infrastructure;

/// <summary>
/// <c>--option KEY=VALUE</c>: method options, checked before any work starts. An option goes to every chosen method
/// that declares it (<see cref="MethodDescriptor.Options"/>); a key no chosen method declares, or a value that does
/// not read as the type of the option's default (true/false, a whole number, a number), is an error naming it.
/// </summary>
internal static class MethodOptions
{
    /// <summary>The options of each method, by method id (methods given none are absent).</summary>
    public static IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> Resolve(SaliencyHost host, IReadOnlyList<string> methods, IEnumerable<string> given)
    {
        var descriptors = methods.Select(id => host.Methods.Single(m => m.Id == id)).ToList();
        var perMethod = new Dictionary<string, Dictionary<string, string>>(StringComparer.Ordinal);
        foreach (var text in given)
        {
            var separator = text.IndexOf('=', StringComparison.Ordinal);
            if (separator <= 0)
            {
                throw new ArgumentException($"--option takes KEY=VALUE, e.g. --option eigen-smooth=true; got '{text}'.");
            }

            var (key, value) = (text[..separator].Trim(), text[(separator + 1)..].Trim());
            var takers = descriptors.Where(d => d.Options.Any(o => o.Key == key)).ToList();
            if (takers.Count == 0)
            {
                var known = descriptors.SelectMany(d => d.Options.Select(o => o.Key)).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
                var suggestion = NameSuggestions.Nearest(key, known);
                var list = known.Count == 0 ? "they take none" : $"theirs: {string.Join(", ", known)}";
                throw new ArgumentException($"No chosen method ({string.Join(", ", methods)}) takes option '{key}'.{NameSuggestions.DidYouMean(suggestion)} See 'saliency methods' for each method's options; {list}.");
            }

            foreach (var descriptor in takers)
            {
                var option = descriptor.Options.First(o => o.Key == key);
                Check(descriptor.Id, option, value);
                if (!perMethod.TryGetValue(descriptor.Id, out var options))
                {
                    perMethod[descriptor.Id] = options = new Dictionary<string, string>(StringComparer.Ordinal);
                }

                if (options.TryGetValue(key, out var earlier) && earlier != value)
                {
                    throw new ArgumentException($"--option {key} is given twice, as '{earlier}' and '{value}'; give it once.");
                }

                options[key] = value;
            }
        }

        return perMethod.ToDictionary(p => p.Key, p => (IReadOnlyDictionary<string, string>)p.Value, StringComparer.Ordinal);
    }

    /// <summary>The value must read as the default does: a Boolean, a whole number or a number.</summary>
    private static void Check(string method, MethodOption option, string value)
    {
        var invariant = CultureInfo.InvariantCulture;
        var (kind, ok) = option.Default switch
        {
            _ when bool.TryParse(option.Default, out _) => ("true or false", bool.TryParse(value, out _)),
            _ when long.TryParse(option.Default, NumberStyles.Integer, invariant, out _) => ("a whole number", long.TryParse(value, NumberStyles.Integer, invariant, out _)),
            _ when double.TryParse(option.Default, NumberStyles.Float, invariant, out _) => ("a number", double.TryParse(value, NumberStyles.Float, invariant, out var number) && double.IsFinite(number)),
            _ => ("text", value.Length > 0),
        };
        if (!ok)
        {
            throw new ArgumentException($"Option '{option.Key}' of method '{method}' must be {kind} (default {option.Default}); got '{value}'.");
        }
    }
}
