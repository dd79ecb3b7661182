using System.Text.Json;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace Saliency.Tests;

/// <summary>
/// One case of the Python reference fixtures in <c>../shared/reference</c> (see its README): the input, the expected
/// tensors, and the tolerance rule <c>|actual − expected| ≤ abs·peak + rel·|expected|</c>.
/// </summary>
public sealed class ReferenceCase : IDisposable
{
    private readonly Dictionary<string, Tensor> _expected;
    private readonly JsonElement _case;

    private ReferenceCase(string name, string directory, Tensor input, Dictionary<string, Tensor> expected, JsonElement json)
    {
        Name = name;
        Directory = directory;
        Input = input;
        _expected = expected;
        _case = json;
    }

    /// <summary>The case name (<c>gapnet</c>, <c>vggmini</c>).</summary>
    public string Name { get; }

    /// <summary>The case's folder.</summary>
    public string Directory { get; }

    /// <summary>The input batch.</summary>
    public Tensor Input { get; }

    /// <summary>Path of <c>model.safetensors</c>.</summary>
    public string ModelPath => Path.Combine(Directory, "model.safetensors");

    /// <summary>All expected keys.</summary>
    public IEnumerable<string> Keys => _expected.Keys;

    /// <summary>The folder holding the reference cases: <c>$SALIENCY_REFERENCE_DIR</c>, else <c>shared/reference</c> beside the repository.</summary>
    public static string Root
    {
        get
        {
            var configured = Environment.GetEnvironmentVariable("SALIENCY_REFERENCE_DIR");
            if (!string.IsNullOrEmpty(configured))
            {
                return configured;
            }

            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Saliency.sln")))
                {
                    var beside = Path.Combine(dir.FullName, "..", "shared", "reference");
                    if (System.IO.Directory.Exists(beside))
                    {
                        return Path.GetFullPath(beside);
                    }

                    throw new DirectoryNotFoundException($"The reference fixtures are not at {Path.GetFullPath(beside)}; set SALIENCY_REFERENCE_DIR to the folder holding gapnet/ and vggmini/.");
                }
            }

            throw new DirectoryNotFoundException("Saliency.sln not found above the test assembly; set SALIENCY_REFERENCE_DIR.");
        }
    }

    /// <summary>Loads a case.</summary>
    public static ReferenceCase Load(string name)
    {
        var directory = Path.Combine(Root, name);
        var input = Safetensors.LoadStateDict(Path.Combine(directory, "input.safetensors"))["input"];
        var expected = Safetensors.LoadStateDict(Path.Combine(directory, "expected.safetensors"));
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(directory, "case.json")));
        return new ReferenceCase(name, directory, input, expected, json.RootElement.Clone());
    }

    /// <summary>An expected tensor.</summary>
    public Tensor Expected(string key) =>
        _expected.TryGetValue(key, out var t) ? t : throw new KeyNotFoundException($"{Name}: no expected key '{key}'.");

    /// <summary>The stored targets: argmax, or <c>@explicit</c>.</summary>
    public long[] Targets(bool @explicit) => Expected(@explicit ? "targets@explicit" : "targets").data<long>().ToArray();

    /// <summary>The <c>max_abs</c> of a key in case.json.</summary>
    public double Peak(string key) => _case.GetProperty("keys").GetProperty(key).GetProperty("max_abs").GetDouble();

    /// <summary>The (abs, rel) tolerance for a key, as case.json's tolerance section assigns it.</summary>
    public (double Abs, double Rel) Tolerance(string key)
    {
        var tolerance = _case.GetProperty("tolerance");
        var method = key.Split('@')[0];
        var family = method.Contains('.') ? method[..method.LastIndexOf('.')] : method;
        string section = tolerance.TryGetProperty(family, out _) ? family
            : tolerance.TryGetProperty(family.Split('.')[0], out _) ? family.Split('.')[0]
            : method == "logits" ? "logits"
            : method.EndsWith(".map", StringComparison.Ordinal) ? "default_map"
            : "default_raw";
        var entry = tolerance.GetProperty(section);
        return (entry.GetProperty("abs").GetDouble(), entry.GetProperty("rel").GetDouble());
    }

    /// <summary>Asserts <paramref name="actual"/> matches key <paramref name="key"/> within the case's tolerance.</summary>
    public void AssertClose(string key, Tensor actual)
    {
        var expected = Expected(key);
        var (abs, rel) = Tolerance(key);
        var peak = Peak(key);
        actual.shape.Should().Equal(expected.shape, $"{Name} {key} shape");
        using var scope = NewDisposeScope();
        var a = actual.detach().cpu().to(ScalarType.Float64);
        var e = expected.to(ScalarType.Float64);
        var error = (a - e).abs();
        var allowed = (e.abs() * rel) + (abs * peak);
        var excess = (error - allowed).flatten();
        var worst = excess.argmax().item<long>();
        var worstExcess = excess[worst].item<double>();
        worstExcess.Should().BeLessThanOrEqualTo(
            0,
            $"{Name} {key}: element {worst} is {a.flatten()[worst].item<double>():G6}, expected {e.flatten()[worst].item<double>():G6} (allowed ±{allowed.flatten()[worst].item<double>():G3}, peak {peak:G3}); max |diff| {error.max().item<double>():G3}");
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Input.Dispose();
        foreach (var t in _expected.Values)
        {
            t.Dispose();
        }
    }
}
