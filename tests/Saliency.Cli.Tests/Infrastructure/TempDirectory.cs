using Saliency.Models;

namespace Saliency.Cli.Tests;

/// <summary>A fresh folder under the system temp folder, deleted on dispose.</summary>
public sealed class TempDirectory : IDisposable
{
    public TempDirectory() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "saliency-cli-tests", Guid.NewGuid().ToString("N"));

    public string this[string name] => System.IO.Path.Combine(Path, name);

    /// <summary>Writes the bundled demo canvases into <paramref name="folder"/> (created) and returns their paths.</summary>
    public IReadOnlyList<string> WriteSamples(string folder = "samples", int count = int.MaxValue)
    {
        var directory = this[folder];
        Directory.CreateDirectory(directory);
        return [.. DemoSamples.All.Take(count).Select(s =>
        {
            var path = System.IO.Path.Combine(directory, s.Name);
            File.WriteAllBytes(path, s.Png);
            return path;
        })];
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
