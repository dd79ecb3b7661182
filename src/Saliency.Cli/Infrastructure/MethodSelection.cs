namespace Saliency.Cli.Infrastructure;

/// <summary>Checks method ids against the loaded methods before any work starts.</summary>
internal static class MethodSelection
{
    /// <summary>The requested ids, split at commas, de-duplicated and checked.</summary>
    /// <exception cref="UnknownMethodException">An id is not loaded; the message suggests the nearest.</exception>
    public static IReadOnlyList<string> Resolve(SaliencyHost host, IEnumerable<string> requested)
    {
        var loaded = host.Methods.Select(m => m.Id).ToList();
        var ids = OptionValues.Split(requested).Distinct(StringComparer.Ordinal).ToList();
        if (ids.Count == 0)
        {
            throw new ArgumentException("No method given: pass --method, e.g. --method grad-cam.");
        }

        foreach (var id in ids.Where(id => !loaded.Contains(id, StringComparer.Ordinal)))
        {
            var suggestion = NameSuggestions.Nearest(id, loaded);
            var list = loaded.Count == 0 ? "none (no method plugins were found next to the program or in SALIENCY_PLUGIN_PATH)" : string.Join(", ", loaded);
            throw new UnknownMethodException(id, $"No method '{id}' is loaded.{NameSuggestions.DidYouMean(suggestion)} Loaded methods: {list}.", suggestion);
        }

        return ids;
    }
}
