using System.Diagnostics;
using System.Text;
using SkiaSharp;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace Saliency.Cli.Tests;

/// <summary>
/// One test per defect class of issue 13: each asserts the exit code, the one <c>error:</c> line and, where the run
/// goes on, that the other images were still explained.
/// </summary>
public sealed class HardeningTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void An_output_that_cannot_be_written_fails_its_image_alone_and_the_run_goes_on()
    {
        var images = _temp.WriteSamples(count: 3);
        var output = _temp["o/x"];
        Directory.CreateDirectory(Path.Combine(output, "canvas-02.grad-cam.bag.png"));

        var run = Cli.Run("explain", images[0], images[1], images[2], "-t", "bag", "-b", "1", "--out", output);

        run.ExitCode.Should().Be(1, run.ToString());
        run.ErrorLines.Should().Equal($"error: {images[1]}: cannot write {output}/canvas-02.grad-cam.bag.png: a folder of that name is in the way; remove it or choose another --out");
        File.Exists(Path.Combine(output, "canvas-01.grad-cam.bag.png")).Should().BeTrue();
        File.Exists(Path.Combine(output, "canvas-03.grad-cam.bag.png")).Should().BeTrue("images after the failed one are still explained");
        run.Out.Should().Contain("Explained 2 of 3 image(s)").And.Contain($"1 failed: {images[1]} (cannot write: a folder of that name is in the way)");
    }

    [Fact]
    public void An_image_whose_output_name_would_exceed_255_bytes_gets_a_shortened_unique_name()
    {
        var sample = _temp.WriteSamples(count: 1)[0];
        var longName = new string('é', 120) + ".png";
        File.Copy(sample, _temp[longName]);

        var run = Cli.Run("explain", _temp[longName], sample, "-t", "bag", "--out", _temp["out"]);

        run.ExitCode.Should().Be(0, run.ToString());
        var names = Directory.GetFiles(_temp["out"], "*.png").Select(Path.GetFileName).ToList();
        names.Should().HaveCount(2).And.Contain("canvas-01.grad-cam.bag.png");
        var shortened = names.Single(n => n != "canvas-01.grad-cam.bag.png")!;
        Encoding.UTF8.GetByteCount(shortened).Should().BeLessThanOrEqualTo(255);
        shortened.Should().StartWith("ééé").And.MatchRegex("~[0-9a-f]{8}\\.grad-cam\\.bag\\.png$");
    }

    [Fact]
    public void Labels_that_slug_alike_get_distinct_file_names_and_the_summary_counts_what_is_on_disk()
    {
        var first = Png.Write(_temp["a.png"], 32, 32, SKColors.Red);
        var second = Png.Write(_temp["b.png"], 32, 32, SKColors.Blue);
        File.WriteAllLines(_temp["labels.txt"], ["b/x", "B X", "cat", "dog"]);

        var run = Cli.Run("explain", first, second, "--model", EndToEndTests.UserModelPath(), "--size", "32", "--labels", _temp["labels.txt"], "-k", "4", "--out", _temp["out"]);

        run.ExitCode.Should().Be(0, run.ToString());
        Directory.GetFiles(_temp["out"], "a.*").Select(Path.GetFileName).Should().BeEquivalentTo(
            ["a.grad-cam.b-x-0.png", "a.grad-cam.b-x-1.png", "a.grad-cam.cat.png", "a.grad-cam.dog.png"]);
        Directory.GetFiles(_temp["out"], "*.png").Should().HaveCount(8);
        run.Out.Should().Contain(": 8 file(s) in");
    }

    [Fact]
    public void Special_files_and_huge_files_are_refused_from_their_type_and_header_without_reading_them()
    {
        var folder = _temp["in"];
        _temp.WriteSamples("in", 1);
        MakeFifo(Path.Combine(folder, "pipe.png"));
        var text = Path.Combine(folder, "huge.png");
        using (var stream = File.Create(text))
        {
            stream.Write("not an image"u8);
            stream.SetLength(1_500_000_000);
        }

        var fakePng = Path.Combine(folder, "huge2.png");
        using (var stream = File.Create(fakePng))
        {
            stream.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
            stream.SetLength(1_500_000_000);
        }

        var run = Cli.Run("explain", folder, "/dev/zero", "--out", _temp["out"]);

        run.ExitCode.Should().Be(1, run.ToString());
        run.ErrorLines.Should().BeEquivalentTo(
            $"error: {text}: not a PNG or JPEG image (unrecognised content)",
            $"error: {fakePng}: file too large: 1,500,000,000 bytes is more than a PNG or JPEG within the 40,000,000-pixel limit takes (321,048,576 bytes; not read)",
            $"error: {Path.Combine(folder, "pipe.png")}: cannot read: it is a FIFO (named pipe), not a regular file; pass image files",
            "error: /dev/zero: cannot read: it is a character device, not a regular file; pass image files");
        Directory.GetFiles(_temp["out"], "*.png").Select(Path.GetFileName).Should().ContainSingle().Which.Should().StartWith("canvas-01.");
        run.Out.Should().Contain("Explained 1 of 5 image(s)").And.Contain("4 failed: ");
    }

    [Theory]
    [InlineData("30000", "error: --size '30000' is out of range: each side must be 1 to 4096 pixels.")]
    [InlineData("100000x2", "error: --size '100000x2' is out of range: each side must be 1 to 4096 pixels.")]
    [InlineData("99999999999999999999", "error: --size '99999999999999999999' is out of range: each side must be 1 to 4096 pixels.")]
    public void Size_is_bounded(string size, string message)
    {
        var run = Cli.Run("explain", _temp.WriteSamples(count: 1)[0], "--size", size, "--out", _temp["out"]);

        run.ExitCode.Should().Be(2, run.ToString());
        run.ErrorLines.Should().Equal(message);
    }

    [Theory]
    [InlineData("-k", "99999999999", "error: -k '99999999999' is not a whole number (at most 2147483647).")]
    [InlineData("--batch-size", "many", "error: --batch-size 'many' is not a whole number (at most 2147483647).")]
    [InlineData("--alpha", "half", "error: --alpha 'half' is not a number, e.g. 0.5.")]
    [InlineData("--max-pixels", "1e9", "error: --max-pixels '1e9' is not a whole number (at most 9223372036854775807).")]
    public void Values_that_do_not_parse_name_their_option(string option, string value, string message)
    {
        var run = Cli.Run("explain", "a.png", option, value);

        run.ExitCode.Should().Be(2, run.ToString());
        run.ErrorLines.Should().Equal(message);
    }

    [Fact]
    public void A_layer_that_is_not_spatial_is_refused_naming_its_shape_and_the_spatial_layers()
    {
        var run = Cli.Run("explain", _temp.WriteSamples(count: 1)[0], "-l", "fc", "--method", "grad-cam", "--out", _temp["out"]);

        run.ExitCode.Should().Be(2, run.ToString());
        run.ErrorLines.Should().ContainSingle().Which.Should().StartWith(
            "error: Layer 'fc' of fashion-gap outputs [B,10], not a spatial map [B,C,H,W]: grad-cam needs one. Spatial layers: features");
    }

    [Fact]
    public void Output_folders_and_files_in_the_way_are_named()
    {
        File.WriteAllText(_temp["file"], "a file");

        var explain = Cli.Run("explain", _temp.WriteSamples(count: 1)[0], "--out", _temp["file/sub"]);
        var demo = Cli.Run("demo", "-o", _temp["file/demo.png"]);
        var demoFolder = Cli.Run("demo", "-o", _temp.Path);

        explain.ExitCode.Should().Be(2, explain.ToString());
        explain.ErrorLines.Should().Equal($"error: --out {_temp["file/sub"]}: {_temp["file"]} is a file, not a folder; choose another --out.");
        demo.ExitCode.Should().Be(2, demo.ToString());
        demo.ErrorLines.Should().Equal($"error: -o {_temp["file/demo.png"]}: {_temp["file"]} is a file, not a folder; choose another -o.");
        demoFolder.ExitCode.Should().Be(2, demoFolder.ToString());
        demoFolder.ErrorLines.Should().Equal($"error: -o {_temp.Path} is a folder; give the figure's file name, e.g. {_temp["demo.png"]}.");
    }

    [Fact]
    public void Bad_values_and_models_are_blamed_on_what_is_wrong()
    {
        var image = _temp.WriteSamples(count: 1)[0];
        Directory.CreateDirectory(_temp["targets"]);
        var weights = _temp["nan.safetensors"];
        using (var model = new Models.FashionGapNet())
        {
            var state = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value);
            state["fc.weight"] = state["fc.weight"].clone();
            state["fc.weight"][0, 0] = tensor(float.NaN);
            Safetensors.SaveStateDict(weights, state);
        }

        var folder = Cli.Run("explain", image, "--targets-from", _temp["targets"]);
        var mean = Cli.Run("explain", image, "--mean", "NaN");
        var std = Cli.Run("explain", image, "--std", "0");
        var nan = Cli.Run("explain", image, "--weights", weights);
        var throwing = Cli.Run("explain", image, "--model", EndToEndTests.UserModelPath(), "--channels", "1", "--size", "32");

        folder.ErrorLines.Should().Equal($"error: --targets-from {_temp["targets"]} is a folder; give a CSV file of image,target rows.");
        mean.ErrorLines.Should().Equal("error: --mean 'NaN' must hold finite numbers (no NaN or infinity).");
        std.ErrorLines.Should().Equal("error: --std '0' must be positive: pixels are divided by it.");
        nan.ErrorLines.Should().Equal($"error: Weights file {weights}: key 'fc.weight' holds 1 NaN or infinite value(s); the model cannot be explained with them.");
        throwing.ErrorLines.Should().ContainSingle().Which.Should().StartWith("error: Model UserModels.TinyNet failed on an input [B,1,32,32]: ");
        new[] { folder, mean, std, nan, throwing }.Select(r => r.ExitCode).Should().AllBeEquivalentTo(2);
    }

    [Fact]
    public void Targets_file_errors_name_the_csv_line_and_quoted_fields_are_read()
    {
        var images = _temp.WriteSamples(count: 3);
        File.WriteAllLines(_temp["t.csv"], ["image,target", "\"canvas-01.png\",\"Ankle boot\"", "canvas-02.png,12", "canvas-03.png,bagg"]);

        var run = Cli.Run("explain", images[0], images[1], images[2], "--targets-from", _temp["t.csv"], "--out", _temp["out"]);

        run.ExitCode.Should().Be(1, run.ToString());
        run.ErrorLines.Should().HaveCount(2);
        run.ErrorLines[0].Should().Be($"error: {images[1]}: {_temp["t.csv"]}:3: Target 12 is out of range: the model has 10 classes (0 to 9).");
        run.ErrorLines[1].Should().StartWith($"error: {images[2]}: {_temp["t.csv"]}:4: Unknown label 'bagg'. Did you mean 'bag'?");
        Directory.GetFiles(_temp["out"], "*.png").Select(Path.GetFileName).Should().Equal("canvas-01.grad-cam.ankle-boot.png");
    }

    [Fact]
    public void Labels_whose_count_differs_from_the_models_classes_are_refused()
    {
        File.WriteAllLines(_temp["labels.txt"], ["cat", "dog", "bird"]);

        var run = Cli.Run("explain", Png.Write(_temp["a.png"], 32, 32, SKColors.Red), "--model", EndToEndTests.UserModelPath(), "--size", "32", "--labels", _temp["labels.txt"], "--out", _temp["out"]);

        run.ExitCode.Should().Be(2, run.ToString());
        run.ErrorLines.Should().Equal("error: The labels have 3 name(s), but UserModels.TinyNet has 4 classes: give one name per class, in class order (--labels).");
        Directory.Exists(_temp["out"]).Should().BeFalse();
    }

    [Fact]
    public void Empty_targets_and_a_top_k_above_the_class_count_are_refused_not_ignored()
    {
        var image = _temp.WriteSamples(count: 1)[0];

        var empty = Cli.Run("explain", image, "-t", "", "--out", _temp["out"]);
        var topK = Cli.Run("explain", image, "-k", "11", "--out", _temp["out"]);

        empty.ExitCode.Should().Be(2, empty.ToString());
        empty.ErrorLines.Should().Equal("error: --target is empty: give a class index or label, e.g. --target 3 or --target sneaker.");
        topK.ExitCode.Should().Be(2, topK.ToString());
        topK.ErrorLines.Should().Equal("error: --top-k 11 asks for more classes than the model has (10); use --top-k 10 or less.");
    }

    [Fact]
    public void Recursive_outputs_mirror_the_input_tree_so_equal_names_do_not_collide()
    {
        var a = _temp.WriteSamples("in/a", 1)[0];
        var b = _temp.WriteSamples("in/b/deep", 1)[0];

        var flat = Cli.Run("explain", _temp["in"], "--out", _temp["flat"]);
        var run = Cli.Run("explain", _temp["in"], "-r", "-t", "bag", "--out", _temp["out"]);

        flat.ExitCode.Should().Be(2, flat.ToString());
        flat.ErrorLines.Should().Equal($"error: No PNG or JPEG files in {_temp["in"]} (add --recursive to look in subfolders).");
        run.ExitCode.Should().Be(0, run.ToString());
        File.ReadAllBytes(_temp["out/a/canvas-01.grad-cam.bag.png"]).Should().NotBeEmpty();
        File.ReadAllBytes(_temp["out/b/deep/canvas-01.grad-cam.bag.png"]).Should().NotBeEmpty();
        var manifest = File.ReadAllLines(_temp["out/manifest.jsonl"]);
        manifest.Should().HaveCount(2);
        manifest[1].Should().Contain($"\"image\":\"{b}\"").And.Contain("\"status\":\"explained\"").And.Contain("\"file\":\"b/deep/canvas-01.grad-cam.bag.png\"");
        manifest[0].Should().Contain($"\"image\":\"{a}\"");
    }

    private static void MakeFifo(string path)
    {
        using var mkfifo = Process.Start("mkfifo", [path]);
        mkfifo.WaitForExit();
        mkfifo.ExitCode.Should().Be(0);
    }
}
