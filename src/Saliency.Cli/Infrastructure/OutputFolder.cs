namespace Saliency.Cli.Infrastructure;

/// <summary>Creates the folder an option names, or says in one line why it cannot be (not .NET's "could not find a part of the path").</summary>
internal static class OutputFolder
{
    /// <summary>Creates <paramref name="folder"/> and its parents: the folder <paramref name="option"/> <paramref name="value"/> writes into.</summary>
    /// <exception cref="ArgumentException">A file is in the way, or the folder cannot be created; the message says which.</exception>
    public static void Create(string option, string value, string folder)
    {
        var full = Path.GetFullPath(folder);
        for (var ancestor = full; ancestor is not null; ancestor = Path.GetDirectoryName(ancestor))
        {
            if (File.Exists(ancestor) && !Directory.Exists(ancestor))
            {
                throw new ArgumentException($"{option} {value}: {ancestor} is a file, not a folder; choose another {option}.");
            }
        }

        try
        {
            Directory.CreateDirectory(full);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            var reason = e is UnauthorizedAccessException ? $"permission denied in {NearestExisting(full)}" : e.Message;
            throw new ArgumentException($"{option} {value}: {folder} cannot be created: {reason}; choose another {option}.", e);
        }
    }

    private static string NearestExisting(string path)
    {
        var current = Path.GetDirectoryName(path);
        while (current is not null && !Directory.Exists(current))
        {
            current = Path.GetDirectoryName(current);
        }

        return current ?? path;
    }
}
