using System.Text.Json;
using Saliency.Imaging;
using Saliency.Models.Training;

namespace Saliency.Models;

/// <summary>A committed demo canvas: its file name, its PNG bytes and where its items are.</summary>
/// <param name="Name">The file name, e.g. <c>canvas-01.png</c>.</param>
/// <param name="Png">The PNG file's bytes (96×96, grayscale content).</param>
/// <param name="Items">The two items with their classes and boxes.</param>
public sealed record DemoSample(string Name, byte[] Png, IReadOnlyList<CanvasItem> Items);

/// <summary>
/// The sample canvases bundled with the demo model: the first canvases of a seeded generator over Fashion-MNIST's
/// test split (none picked by hand), with a manifest giving every item's class and box.
/// </summary>
public static class DemoSamples
{
    /// <summary>The manifest's file name.</summary>
    public const string ManifestName = "samples.json";

    /// <summary>The seed of the generator that made the samples.</summary>
    public const int Seed = 7;

    private const string ResourcePrefix = "Saliency.Models.Samples.";

    private static readonly JsonSerializerOptions s_json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    private static readonly Lazy<IReadOnlyList<DemoSample>> s_all = new(LoadEmbedded);

    /// <summary>The bundled samples, in order.</summary>
    public static IReadOnlyList<DemoSample> All => s_all.Value;

    /// <summary>Writes <paramref name="count"/> sample canvases from <paramref name="split"/> and their manifest into <paramref name="directory"/>.</summary>
    /// <param name="split">Usually the test split.</param>
    /// <param name="count">How many canvases.</param>
    /// <param name="directory">The folder, created if needed.</param>
    /// <returns>The samples written.</returns>
    public static IReadOnlyList<DemoSample> Write(FashionMnist split, int count, string directory)
    {
        ArgumentNullException.ThrowIfNull(split);
        Directory.CreateDirectory(directory);
        var generator = new CanvasGenerator(split, Seed, mirror: false);
        var samples = new List<DemoSample>();
        for (var i = 1; i <= count; i++)
        {
            var canvas = generator.Next();
            var name = $"canvas-{i:D2}.png";
            var path = Path.Combine(directory, name);
            using (var bitmap = Bitmaps.FromGray(canvas.Side, canvas.Side, canvas.Pixels))
            {
                ImageFile.SavePng(bitmap, path);
            }

            samples.Add(new DemoSample(name, File.ReadAllBytes(path), canvas.Items));
        }

        var manifest = samples.Select(s => new ManifestEntry(s.Name, [.. s.Items.Select(ManifestItem.From)])).ToList();
        File.WriteAllText(Path.Combine(directory, ManifestName), JsonSerializer.Serialize(manifest, s_json) + "\n");
        return samples;
    }

    private static IReadOnlyList<DemoSample> LoadEmbedded()
    {
        var manifest = JsonSerializer.Deserialize<List<ManifestEntry>>(ReadResource(ManifestName), s_json)
            ?? throw new InvalidDataException($"The embedded {ManifestName} is empty.");
        return [.. manifest.Select(e => new DemoSample(e.File, ReadResource(e.File), [.. e.Items.Select(i => new CanvasItem(i.Label, i.Left, i.Top))]))];
    }

    private static byte[] ReadResource(string name)
    {
        using var stream = typeof(DemoSamples).Assembly.GetManifestResourceStream(ResourcePrefix + name)
            ?? throw new InvalidOperationException($"Resource {ResourcePrefix + name} is missing: the demo samples live in src/Saliency.Models/Samples (made by 'saliency train-demo').");
        using var memory = new MemoryStream();
        stream.CopyTo(memory);
        return memory.ToArray();
    }

    private sealed record ManifestEntry(string File, List<ManifestItem> Items);

    private sealed record ManifestItem(int Label, string Name, int Left, int Top, int Size)
    {
        public static ManifestItem From(CanvasItem item) =>
            new(item.Label, BuiltInModels.FashionMnistLabels[item.Label], item.Left, item.Top, CanvasItem.Size);
    }
}
