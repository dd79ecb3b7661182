using Saliency.Cli.Infrastructure;

namespace Saliency.Cli.Datasets;

/// <summary>Deletes the temporary files a killed run left for the images this run owns (other shards' are left alone).</summary>
internal static class StaleTemporaries
{
    public static void Delete(string outputDirectory, IEnumerable<string> outputStems)
    {
        var stems = new HashSet<string>(outputStems, StringComparer.Ordinal);
        foreach (var file in Directory.EnumerateFiles(outputDirectory, "*" + AtomicFile.TemporarySuffix, new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true }))
        {
            var relative = Path.GetRelativePath(outputDirectory, file).Replace('\\', '/');
            for (var dot = relative.IndexOf('.', relative.LastIndexOf('/') + 1); dot > 0; dot = relative.IndexOf('.', dot + 1))
            {
                if (stems.Contains(relative[..dot]))
                {
                    AtomicFile.TryDelete(file);
                    break;
                }
            }
        }
    }
}
