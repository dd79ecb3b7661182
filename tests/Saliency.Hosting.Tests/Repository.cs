namespace Saliency.Tests;

/// <summary>Paths in the repository the tests run from.</summary>
internal static class Repository
{
#if DEBUG
    public const string Configuration = "Debug";
#else
    public const string Configuration = "Release";
#endif

    /// <summary>The folder holding Saliency.sln.</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>The build output of a test plugin project under artifacts/testplugins.</summary>
    public static string TestPlugin(string project) => Path.Combine(Root, "artifacts", "testplugins", Configuration, project);

    /// <summary>Copies a built plugin folder to <c>directory/name</c>, its main assembly last (as a deployment would).</summary>
    public static void InstallPlugin(string source, string directory, string name)
    {
        var target = Path.Combine(directory, name);
        Directory.CreateDirectory(target);
        foreach (var file in Directory.GetFiles(source).OrderBy(f => Path.GetFileName(f) == name + ".dll"))
        {
            File.Copy(file, Path.Combine(target, Path.GetFileName(file)), overwrite: true);
        }
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Saliency.sln")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException("Saliency.sln not found above the test assembly.");
    }
}
