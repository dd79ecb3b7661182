using Saliency.Cli.Infrastructure;
using SkiaSharp;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace Saliency.Cli.Tests;

/// <summary>
/// Each bad input ends in one clear <c>error:</c> line on stderr and a non-zero exit code, without a stack trace; a
/// bad image fails alone while the other images of the batch are written, and the summary names it.
/// </summary>
public sealed class BadInputTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void A_missing_image_fails_alone()
    {
        var run = ExplainWithGoodImage(_temp["missing.png"]);

        AssertImageFailed(run, "missing.png", "file not found");
    }

    [Fact]
    public void An_unreadable_image_fails_alone()
    {
        var path = _temp["locked.png"];
        File.Copy(_temp.WriteSamples("other", 1)[0], path);
        using var writer = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.None);

        var run = ExplainWithGoodImage(path);

        AssertImageFailed(run, "locked.png", "cannot read: The process cannot access the file");
    }

    [Fact]
    public void A_file_that_is_not_an_image_fails_alone()
    {
        File.WriteAllText(_temp["notes.png"], "these are not pixels");

        var run = ExplainWithGoodImage(_temp["notes.png"]);

        AssertImageFailed(run, "notes.png", "not a PNG or JPEG image (unrecognised content)");
    }

    [Fact]
    public void A_corrupt_png_fails_alone()
    {
        var bytes = File.ReadAllBytes(_temp.WriteSamples("good", 1)[0]);
        for (var i = 8; i < 40; i++)
        {
            bytes[i] = 0xEE;
        }

        File.WriteAllBytes(_temp["corrupt.png"], bytes);

        var run = ExplainWithGoodImage(_temp["corrupt.png"]);

        AssertImageFailed(run, "corrupt.png", "corrupt PNG image");
    }

    [Fact]
    public void A_truncated_png_fails_alone()
    {
        var bytes = File.ReadAllBytes(_temp.WriteSamples("good", 1)[0]);
        File.WriteAllBytes(_temp["truncated.png"], bytes[..(bytes.Length / 2)]);

        var run = ExplainWithGoodImage(_temp["truncated.png"]);

        AssertImageFailed(run, "truncated.png", "truncated PNG image");
    }

    [Fact]
    public void An_unsupported_format_fails_alone()
    {
        using (var bitmap = new SKBitmap(96, 96))
        {
            bitmap.Erase(SKColors.Gray);
            using var data = bitmap.Encode(SKEncodedImageFormat.Webp, 90);
            File.WriteAllBytes(_temp["image.webp"], data.ToArray());
        }

        var run = ExplainWithGoodImage(_temp["image.webp"]);

        AssertImageFailed(run, "image.webp", "unsupported image format WEBP; use PNG or JPEG");
    }

    [Fact]
    public void An_oversized_image_is_refused_from_its_header_and_fails_alone()
    {
        Png.Write(_temp["wide.png"], 9000, 2, SKColors.Black);

        var run = ExplainWithGoodImage(_temp["wide.png"]);

        AssertImageFailed(run, "wide.png", "image too large: 9000×2 exceeds the 8192×8192 limit (not decoded)");
    }

    [Fact]
    public void An_image_above_the_pixel_limit_set_on_the_command_line_fails()
    {
        var image = _temp.WriteSamples("good", 1)[0];

        var run = Cli.Run("explain", image, "--max-pixels", "5000", "--out", _temp["out"]);

        run.ExitCode.Should().Be(1, run.ToString());
        OneErrorLine(run).Should().Contain("96×96 = 9,216 pixels exceeds the 5,000-pixel limit");
    }

    [Fact]
    public void An_image_whose_outputs_would_overwrite_another_images_fails_alone()
    {
        var first = _temp.WriteSamples("a", 1)[0];
        var second = _temp.WriteSamples("b", 1)[0];

        var run = Cli.Run("explain", first, second, "--out", _temp["out"]);

        run.ExitCode.Should().Be(1, run.ToString());
        OneErrorLine(run).Should().Be($"error: {second}: its outputs (canvas-01.*) would overwrite those of {first}; rename it, explain its folder with --recursive, or explain it in a separate run");
        Directory.GetFiles(_temp["out"], "*.png").Should().ContainSingle();
    }

    [Fact]
    public void Weights_missing_a_key_are_refused_naming_the_key_and_its_shape()
    {
        var weights = SaveDemoWeights(state => state.Remove("features.conv3.weight"));

        var run = Cli.Run("explain", _temp.WriteSamples("good", 1)[0], "--weights", weights);

        run.ExitCode.Should().Be(2, run.ToString());
        OneErrorLine(run).Should().Be($"error: Weights file {weights} lacks key 'features.conv3.weight' [32,32,3,3], which FashionGapNet needs.");
    }

    [Fact]
    public void Weights_with_a_wrong_shape_are_refused_naming_the_key_and_both_shapes()
    {
        var weights = SaveDemoWeights(state => state["fc.weight"] = zeros(5, 64));

        var run = Cli.Run("layers", "--weights", weights);

        run.ExitCode.Should().Be(2, run.ToString());
        OneErrorLine(run).Should().Be($"error: Weights file {weights}: key 'fc.weight' has shape [5,64], but FashionGapNet expects [10,64].");
    }

    [Fact]
    public void A_weights_file_that_is_not_safetensors_or_does_not_exist_is_refused()
    {
        File.WriteAllText(_temp["bad.safetensors"], "no header here");

        var garbage = Cli.Run("layers", "--weights", _temp["bad.safetensors"]);
        var missing = Cli.Run("layers", "--weights", _temp["none.safetensors"]);

        garbage.ExitCode.Should().Be(2, garbage.ToString());
        OneErrorLine(garbage).Should().StartWith($"error: Weights file {_temp["bad.safetensors"]} is not a readable .safetensors file");
        missing.ExitCode.Should().Be(2, missing.ToString());
        OneErrorLine(missing).Should().Be($"error: Weights file {_temp["none.safetensors"]} does not exist.");
    }

    [Fact]
    public void An_unknown_model_gets_the_nearest_name()
    {
        var run = Cli.Run("layers", "--model", "fashon-gap");

        run.ExitCode.Should().Be(2);
        OneErrorLine(run).Should().Be("error: Unknown model 'fashon-gap'. Did you mean 'fashion-gap'? Built-in models: fashion-gap, resnet18; a user model is given as ASSEMBLY.dll:Namespace.Type.");
    }

    [Fact]
    public void A_user_type_that_is_missing_or_not_explainable_is_refused()
    {
        var missing = Cli.Run("layers", "--model", EndToEndTests.UserModelPath("UserModels.TinyNt"));
        var plain = Cli.Run("layers", "--model", EndToEndTests.UserModelPath("UserModels.PlainNet"));

        missing.ExitCode.Should().Be(2);
        OneErrorLine(missing).Should().Be("error: Saliency.Cli.Tests.UserModel.dll has no type 'UserModels.TinyNt'. Did you mean 'UserModels.TinyNet'? Explainable types there: UserModels.TinyNet, UserModels.TinySegmenter, UserModels.TinyEmbedder.");
        plain.ExitCode.Should().Be(2);
        OneErrorLine(plain).Should().Be("error: Type UserModels.PlainNet does not implement IExplainable: annotate its layers with [ExplainLayer] and make it partial (the Saliency source generator then implements IExplainable).");
    }

    [Fact]
    public void An_unknown_method_gets_the_nearest_name()
    {
        var run = Cli.Run("explain", _temp.WriteSamples("good", 1)[0], "--method", "gradcam");

        run.ExitCode.Should().Be(2);
        OneErrorLine(run).Should().Be($"error: No method 'gradcam' is loaded. Did you mean 'grad-cam'? Loaded methods: {BuiltInMethods.List}.");
    }

    [Fact]
    public void An_unknown_layer_gets_the_nearest_name()
    {
        var run = Cli.Run("explain", _temp.WriteSamples("good", 1)[0], "--layer", "feature");

        run.ExitCode.Should().Be(2);
        OneErrorLine(run).Should().StartWith("error: FashionGapNet has no layer 'feature'. Did you mean 'features'? Valid layers: features,");
    }

    [Fact]
    public void A_target_out_of_range_is_refused()
    {
        var run = Cli.Run("explain", _temp.WriteSamples("good", 1)[0], "--target", "12");

        run.ExitCode.Should().Be(2);
        OneErrorLine(run).Should().Be("error: Target 12 is out of range: the model has 10 classes (0 to 9).");
    }

    [Fact]
    public void A_target_out_of_range_of_a_user_model_without_labels_is_refused_once_for_the_whole_run()
    {
        var first = Png.Write(_temp["a.png"], 32, 32, SKColors.Red);
        var second = Png.Write(_temp["b.png"], 32, 32, SKColors.Blue);

        var run = Cli.Run("explain", first, second, "--model", EndToEndTests.UserModelPath(), "--size", "32", "--target", "7", "--out", _temp["out"]);

        run.ExitCode.Should().Be(2);
        OneErrorLine(run).Should().Be("error: Target 7 is out of range: the model has 4 classes (0 to 3).");
        Directory.Exists(_temp["out"]).Should().BeFalse();
    }

    [Fact]
    public void An_unknown_label_gets_the_nearest_name()
    {
        var run = Cli.Run("explain", _temp.WriteSamples("good", 1)[0], "--target", "snekaer");

        run.ExitCode.Should().Be(2);
        OneErrorLine(run).Should().StartWith("error: Unknown label 'snekaer'. Did you mean 'sneaker'? Labels: t-shirt-top, trouser,");
    }

    [Fact]
    public void A_bad_target_in_the_targets_file_fails_that_image_alone()
    {
        var images = _temp.WriteSamples("good", 2);
        File.WriteAllLines(_temp["targets.csv"], ["canvas-01.png,bag", "canvas-02.png,bagg"]);

        var run = Cli.Run("explain", images[0], images[1], "--targets-from", _temp["targets.csv"], "--out", _temp["out"]);

        run.ExitCode.Should().Be(1, run.ToString());
        OneErrorLine(run).Should().StartWith($"error: {images[1]}: {_temp["targets.csv"]}:2: Unknown label 'bagg'. Did you mean 'bag'?");
        Directory.GetFiles(_temp["out"], "*.png").Select(Path.GetFileName).Should().Equal("canvas-01.grad-cam.bag.png");
        run.Out.Should().Contain($"1 failed: {images[1]}");
    }

    [Fact]
    public void Unknown_options_are_usage_errors()
    {
        var run = Cli.Run("explain", "a.png", "--methd", "cam");

        run.ExitCode.Should().Be(2);
        OneErrorLine(run).Should().Be("error: Unknown option 'methd'.");
    }

    [Fact]
    public void A_cuda_device_this_build_cannot_use_is_refused_naming_the_option_and_the_build_switch()
    {
        if (cuda.is_available())
        {
            return;
        }

        var image = _temp.WriteSamples(count: 1)[0];

        var run = Cli.Run("explain", image, "--device", "cuda", "--out", _temp["out"]);

        run.ExitCode.Should().Be(2, run.ToString());
        OneErrorLine(run).Should().StartWith("error: Device 'cuda' asks for CUDA, which is not available here")
            .And.EndWith("Pass device 'cpu' or 'auto'. Use --device cpu or --device auto; for CUDA, build saliency with -p:TorchBackend=cuda.");
    }

    [Fact]
    public void A_libstdcxx_too_old_for_libtorch_is_reported_with_the_repositorys_set_up_script()
    {
        var failure = TorchRuntime.Diagnose(
            new DllNotFoundException("LibTorchSharp"),
            "/usr/lib/x86_64-linux-gnu/libstdc++.so.6: version `GLIBCXX_3.4.32' not found (required by /app/libLibTorchSharp.so)",
            null);
        using var output = new StringWriter();
        using var error = new StringWriter();

        var code = SaliencyApp.Report(failure, CliConsole.ForWriters(output, error), verbose: false);

        code.Should().Be(ExitCodes.InternalError);
        error.ToString().TrimEnd().Should().Be($"error: {failure.Message} {SaliencyApp.SetupHint}")
            .And.Contain("sudo eng/setup.sh").And.NotContain("\n");
    }

    [Fact]
    public void Verbose_adds_the_stack_trace()
    {
        var run = Cli.Run("layers", "--model", "nope", "--verbose");

        run.ExitCode.Should().Be(2);
        run.ErrorLines[0].Should().StartWith("error: Unknown model 'nope'.");
        run.Error.Should().Contain(" at Saliency.Cli.");
    }

    private CliRun ExplainWithGoodImage(string bad)
    {
        var good = _temp.WriteSamples("good", 1)[0];
        return Cli.Run("explain", good, bad, "--out", _temp["out"]);
    }

    private void AssertImageFailed(CliRun run, string name, string problem)
    {
        run.ExitCode.Should().Be(1, run.ToString());
        OneErrorLine(run).Should().StartWith($"error: {_temp[name]}: {problem}");
        Directory.GetFiles(_temp["out"], "*.png").Should().ContainSingle("the good image is still explained").Which.Should().Match("*/canvas-01.grad-cam.*.png");
        run.Out.Should().Contain($"Explained 1 of 2 image(s)").And.Contain($"1 failed: {_temp[name]}");
    }

    private static string OneErrorLine(CliRun run)
    {
        run.ErrorLines.Should().ContainSingle(run.ToString());
        string.Join('\n', run.ErrorLines).Should().NotContain(" at ", "no stack trace without --verbose");
        return run.ErrorLines[0];
    }

    private string SaveDemoWeights(Action<Dictionary<string, Tensor>> edit)
    {
        using var model = new Models.FashionGapNet();
        var state = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value);
        edit(state);
        var path = _temp["edited.safetensors"];
        Safetensors.SaveStateDict(path, state);
        return path;
    }
}
