using System.Text.Json;
using Saliency.Cli.Datasets;

namespace Saliency.Cli.Tests;

/// <summary>
/// Data-set runs as real processes: Ctrl+C ends a run with exit 130, a summary and no partial file; three shards in
/// parallel produce exactly a single run's files, byte for byte; a run killed outright is finished by --resume.
/// </summary>
public sealed class DatasetRunTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Ctrl_c_finishes_the_current_image_prints_the_summary_and_exits_130_without_partial_files()
    {
        var folder = Copies("in", 300);
        using var process = Cli.Start(new Dictionary<string, string>(), "explain", folder, "-b", "1", "-M", "grad-cam,guided-backprop", "--out", _temp["out"]);
        WaitForManifestLines(process, _temp["out/manifest.jsonl"], 2);

        process.Signal("INT");
        var run = process.Wait(TimeSpan.FromMinutes(2));

        run.ExitCode.Should().Be(130, run.ToString());
        run.ErrorLines.Should().ContainSingle(l => l.StartsWith("cancelled: stopped after ", StringComparison.Ordinal), run.ToString());
        run.Out.Should().MatchRegex(@"Explained \d+ of 300 image\(s\) with grad-cam, guided-backprop at layer features: \d+ file\(s\) in .*; \d+ not done \(cancelled; --resume finishes them\); [0-9.]+ s\.");
        var entries = Manifest(_temp["out/manifest.jsonl"]);
        entries.Should().OnlyContain(e => e.Status == "explained");
        entries.Count.Should().BeInRange(2, 299, "the run stopped part-way");
        var listed = entries.SelectMany(e => e.Outputs.Select(o => o.File)).Order(StringComparer.Ordinal);
        OutputFiles(_temp["out"]).Should().Equal(listed, "every file on disk belongs to a whole, recorded image: nothing partial, no temporary file");
        entries.Should().OnlyContain(e => e.Outputs.Count == 2);
    }

    [Fact]
    public void Three_shards_in_parallel_write_exactly_the_files_of_a_single_run_byte_for_byte()
    {
        _temp.WriteSamples("in/a");
        _temp.WriteSamples("in/b", 4);
        _temp.WriteSamples("in");

        var shards = Enumerable.Range(0, 3)
            .Select(k => Cli.Start(new Dictionary<string, string>(), "explain", _temp["in"], "-r", "-b", "2", "--shard", $"{k}/3", "--out", _temp["sharded"]))
            .ToList();
        var single = Cli.Run("explain", _temp["in"], "-r", "-b", "2", "--out", _temp["single"]);
        var runs = shards.Select(s => s.Wait()).ToList();
        shards.ForEach(s => s.Dispose());

        single.ExitCode.Should().Be(0, single.ToString());
        runs.Should().OnlyContain(r => r.ExitCode == 0);
        var manifests = Enumerable.Range(0, 3).Select(k => Manifest(_temp[$"sharded/manifest.{k}-of-3.jsonl"])).ToList();
        manifests.Select(m => m.Count).Should().Equal([6, 5, 5], "16 images: shard k takes every third of them sorted");
        manifests.SelectMany(m => m.Select(e => e.Image)).Should().OnlyHaveUniqueItems().And.HaveCount(16);
        var files = OutputFiles(_temp["single"], except: "manifest.jsonl");
        files.Should().HaveCount(16);
        files.Where(f => f.StartsWith("a/canvas-01.grad-cam.", StringComparison.Ordinal) || f.StartsWith("b/canvas-01.grad-cam.", StringComparison.Ordinal)).Should().HaveCount(2, "a/ and b/ mirror the input tree");
        OutputFiles(_temp["sharded"], except: "manifest.").Should().Equal(files);
        foreach (var file in files)
        {
            File.ReadAllBytes(Path.Combine(_temp["sharded"], file)).Should().Equal(File.ReadAllBytes(Path.Combine(_temp["single"], file)), file);
        }

        runs[1].Out.Should().Contain("Explained 5 of 5 image(s) (shard 1/3)");
    }

    [Fact]
    public void A_killed_run_is_finished_by_resume_which_skips_complete_images_and_redoes_the_rest()
    {
        var folder = Copies("in", 60);
        using (var process = Cli.Start(new Dictionary<string, string>(), "explain", folder, "-b", "1", "--out", _temp["out"]))
        {
            WaitForManifestLines(process, _temp["out/manifest.jsonl"], 4);
            process.Signal("KILL");
            process.Wait().ExitCode.Should().Be(137);
        }

        var before = Manifest(_temp["out/manifest.jsonl"]);
        before.Count.Should().BeInRange(4, 59, "the run was killed part-way");
        var damaged = Path.Combine(_temp["out"], before[1].Outputs[0].File);
        File.WriteAllBytes(damaged, [1, 2, 3]);
        var kept = Path.Combine(_temp["out"], before[0].Outputs[0].File);
        var keptTime = File.GetLastWriteTimeUtc(kept);

        var run = Cli.Run("explain", folder, "-b", "8", "--resume", "--out", _temp["out"]);

        run.ExitCode.Should().Be(0, run.ToString());
        var skipped = before.Count - 1;
        run.Out.Should().Contain($"Explained {60 - skipped} of 60 image(s)").And.Contain($"; {skipped} skipped (already complete)");
        File.GetLastWriteTimeUtc(kept).Should().Be(keptTime, "a complete image is not redone");
        File.ReadAllBytes(damaged).Should().NotEqual(new byte[] { 1, 2, 3 }, "an output whose hash no longer matches is redone");
        var latest = Manifest(_temp["out/manifest.jsonl"]).GroupBy(e => e.Image).Select(g => g.Last()).ToList();
        latest.Should().HaveCount(60).And.OnlyContain(e => e.Status == "explained");
        OutputFiles(_temp["out"], except: "manifest.").Should().Equal(latest.SelectMany(e => e.Outputs.Select(o => o.File)).Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("auto", "JOB_COMPLETION_INDEX=2,JOB_COMPLETIONS=4", 2, 4)]
    [InlineData("auto", "SLURM_ARRAY_TASK_ID=7,SLURM_ARRAY_TASK_COUNT=3,SLURM_ARRAY_TASK_MIN=5", 2, 3)]
    [InlineData("auto", "SLURM_ARRAY_TASK_ID=0,SLURM_ARRAY_TASK_COUNT=2", 0, 2)]
    [InlineData("1/3", "", 1, 3)]
    public void Shards_come_from_the_option_or_the_scheduler(string value, string environment, int index, int count)
    {
        var variables = environment.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(v => v.Split('=')).ToDictionary(v => v[0], v => v[1]);

        Shard.Parse(value, name => variables.GetValueOrDefault(name)).Should().Be(new Shard(index, count));
    }

    [Theory]
    [InlineData("3/3", "--shard 3/3: shard 3 is outside 0 to 2 (k counts from 0, as JOB_COMPLETION_INDEX does).")]
    [InlineData("1-3", "--shard '1-3' is not k/N or auto: e.g. --shard 0/4 for the first of four shards (k counts from 0).")]
    [InlineData("auto", "--shard auto found no scheduler: set JOB_COMPLETION_INDEX and JOB_COMPLETIONS (Kubernetes Indexed Job) or SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT (Slurm array), or give --shard k/N.")]
    public void A_bad_shard_is_refused_naming_the_fix(string value, string message)
    {
        var act = () => Shard.Parse(value, _ => null);

        act.Should().Throw<ArgumentException>().WithMessage(message);
    }

    private string Copies(string folder, int count)
    {
        var samples = _temp.WriteSamples(folder + "-samples");
        var directory = _temp[folder];
        Directory.CreateDirectory(directory);
        for (var i = 0; i < count; i++)
        {
            File.Copy(samples[i % samples.Count], Path.Combine(directory, $"img-{i:D3}.png"));
        }

        return directory;
    }

    private static void WaitForManifestLines(CliProcess process, string manifest, int lines)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        while (DateTime.UtcNow < deadline && !process.Process.HasExited)
        {
            if (File.Exists(manifest) && Manifest(manifest).Count >= lines)
            {
                return;
            }

            Thread.Sleep(20);
        }

        throw new TimeoutException($"the manifest did not reach {lines} line(s); exited: {process.Process.HasExited}");
    }

    private static List<string> OutputFiles(string folder, string except = "manifest.") =>
        [.. Directory.GetFiles(folder, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(folder, f).Replace('\\', '/'))
            .Where(f => !f.StartsWith(except, StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)];

    private static List<Entry> Manifest(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        var entries = new List<Entry>();
        while (reader.ReadLine() is { } line)
        {
            try
            {
                if (JsonSerializer.Deserialize<Entry>(line, Json) is { } entry)
                {
                    entries.Add(entry);
                }
            }
            catch (JsonException)
            {
                // A line being written.
            }
        }

        return entries;
    }

    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    private sealed record Entry(string Image, string Status, List<OutputEntry> Outputs);

    private sealed record OutputEntry(string File, string Sha256);
}
