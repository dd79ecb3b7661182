using System.Text.Json;
using System.Text.Json.Serialization;
using Saliency.Cli.Explaining;
using Saliency.Cli.Infrastructure;

namespace Saliency.Cli.Datasets;

/// <summary>
/// <c>DIR/manifest.jsonl</c>: one JSON line per image as soon as it is done —
/// <c>{"image":…,"status":"explained"|"failed","outputs":[{"file":…,"sha256":…}],"error":…}</c>. With <c>--resume</c> an
/// image whose last line says explained and whose outputs are all on disk with those hashes is skipped; every other
/// image is redone. A line cut short by a killed run is ignored. The file is appended to and flushed line by line.
/// </summary>
internal sealed class RunManifest : IDisposable
{
    private static readonly JsonSerializerOptions s_json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    private readonly StreamWriter _writer;
    private readonly Dictionary<string, Entry> _previous;
    private readonly string _outputDirectory;

    private RunManifest(string path, string outputDirectory, Dictionary<string, Entry> previous, bool append)
    {
        Path = path;
        _outputDirectory = outputDirectory;
        _previous = previous;
        _writer = new StreamWriter(new FileStream(path, append ? FileMode.Append : FileMode.Create, FileAccess.Write, FileShare.Read)) { AutoFlush = true };
    }

    /// <summary>The manifest file.</summary>
    public string Path { get; }

    /// <summary>Opens the manifest in <paramref name="outputDirectory"/>: read and appended to when resuming, started afresh otherwise.</summary>
    public static RunManifest Open(string outputDirectory, string name, bool resume)
    {
        var path = System.IO.Path.Combine(outputDirectory, name);
        var previous = new Dictionary<string, Entry>(StringComparer.Ordinal);
        if (resume && File.Exists(path))
        {
            foreach (var line in File.ReadLines(path))
            {
                if (TryParse(line) is { } entry)
                {
                    previous[entry.Image] = entry;
                }
            }
        }

        try
        {
            return new RunManifest(path, outputDirectory, previous, resume);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"cannot write the manifest {path}: {AtomicFile.WhyNot(path, e)}", e);
        }
    }

    /// <summary>The image's outputs if a previous run explained it completely (every file present with its hash), else <see langword="null"/>.</summary>
    public IReadOnlyList<OutputFile>? Complete(string image)
    {
        if (!_previous.TryGetValue(image, out var entry) || entry.Status != ImageStatus.Explained || entry.Outputs is not { Count: > 0 } outputs)
        {
            return null;
        }

        foreach (var output in outputs)
        {
            var file = System.IO.Path.Combine(_outputDirectory, output.File);
            try
            {
                if (!File.Exists(file) || AtomicFile.Sha256(file) != output.Sha256)
                {
                    return null;
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return null;
            }
        }

        return outputs;
    }

    /// <summary>Appends the image's line.</summary>
    public void Record(ImageOutcome outcome)
    {
        var entry = new Entry(outcome.Path, outcome.Status, [.. outcome.Outputs], outcome.Error);
        _writer.WriteLine(JsonSerializer.Serialize(entry, s_json));
    }

    public void Dispose() => _writer.Dispose();

    private static Entry? TryParse(string line)
    {
        try
        {
            return JsonSerializer.Deserialize<Entry>(line, s_json) is { Image: not null } entry ? entry : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>One line of the manifest.</summary>
    internal sealed record Entry(string Image, ImageStatus Status, List<OutputFile>? Outputs, string? Error);
}
