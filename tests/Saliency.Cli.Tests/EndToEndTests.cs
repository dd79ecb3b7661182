using Saliency.Models;
using TorchSharp.PyBridge;

namespace Saliency.Cli.Tests;

/// <summary>The commands on the demo model and on a user model assembly: exit codes, files written, PNG sizes.</summary>
public sealed class EndToEndTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Demo_writes_one_labelled_figure_with_a_row_per_top_class_and_five_columns()
    {
        var figure = _temp["demo.png"];

        var run = Cli.Run("demo", "--out", figure);

        run.ExitCode.Should().Be(0, run.ToString());
        run.ErrorLines.Should().BeEmpty();
        var (width, height) = Png.Size(figure);
        width.Should().BeGreaterThan(5 * 96 * 3, "five 288-pixel columns and the row labels");
        height.Should().BeGreaterThan(2 * 96 * 3, "two 288-pixel rows, headings and title");
        var sample = DemoSamples.All[0];
        var names = sample.Items.Select(i => BuiltInModels.FashionMnistLabels[i.Label]);
        run.Out.Should().Contain(sample.Name).And.ContainAll(names);
    }

    [Fact]
    public void Explain_on_a_folder_writes_one_overlay_per_image_and_method_at_the_image_size()
    {
        var images = _temp.WriteSamples(count: 3);
        var output = _temp["out"];

        var run = Cli.Run("explain", Path.GetDirectoryName(images[0])!, "--method", "cam,grad-cam", "--method", "guided-grad-cam", "--out", output, "--batch-size", "2");

        run.ExitCode.Should().Be(0, run.ToString());
        run.ErrorLines.Should().BeEmpty();
        var files = Directory.GetFiles(output, "*.png");
        files.Should().HaveCount(3 * 3);
        foreach (var file in files)
        {
            Png.Size(file).Should().Be((96, 96));
        }

        run.Out.Should().Contain("Explained 3 of 3 image(s) with cam, grad-cam, guided-grad-cam at layer features: 9 file(s)");
    }

    [Fact]
    public void Top_k_explains_each_of_the_k_best_classes_and_save_maps_writes_every_map_and_the_logits()
    {
        var image = _temp.WriteSamples(count: 1)[0];
        var output = _temp["out"];

        var run = Cli.Run("explain", image, "--method", "grad-cam", "--method", "guided-backprop", "--top-k", "2", "--save-maps", "--out", output);

        run.ExitCode.Should().Be(0, run.ToString());
        Directory.GetFiles(output, "*.png").Should().HaveCount(4);
        var maps = Safetensors.LoadStateDict(Path.Combine(output, "canvas-01.maps.safetensors"));
        var slugs = DemoSamples.All[0].Items.Select(i => new ClassLabels(BuiltInModels.FashionMnistLabels).Slug(i.Label)).ToList();
        maps.Keys.Should().BeEquivalentTo(
            new[] { "logits" }
                .Concat(slugs.SelectMany(s => new[] { $"grad-cam/{s}/map", $"grad-cam/{s}/raw", $"guided-backprop/{s}/map", $"guided-backprop/{s}/raw" })),
            "the demo model's top 2 classes of a sample are its two items");
        maps["logits"].shape.Should().Equal(10);
        maps[$"grad-cam/{slugs[0]}/map"].shape.Should().Equal(96, 96);
        maps[$"grad-cam/{slugs[0]}/map"].dtype.Should().Be(TorchSharp.torch.ScalarType.Float32);
        maps[$"grad-cam/{slugs[0]}/raw"].shape.Should().Equal(24, 24);
        maps[$"guided-backprop/{slugs[0]}/raw"].shape.Should().Equal(1, 96, 96);
    }

    [Fact]
    public void Targets_by_label_index_and_from_a_csv_name_the_output_files()
    {
        var images = _temp.WriteSamples(count: 2);
        var csv = _temp["targets.csv"];
        File.WriteAllLines(csv, ["image,target", "canvas-01.png,sneaker,0", "canvas-02.png,Ankle boot"]);

        var byLabel = Cli.Run("explain", images[0], "--target", "Bag", "--target", "3", "--out", _temp["labels"]);
        var fromCsv = Cli.Run("explain", images[0], images[1], "--targets-from", csv, "--out", _temp["csv"]);

        byLabel.ExitCode.Should().Be(0, byLabel.ToString());
        Directory.GetFiles(_temp["labels"], "*.png").Select(Path.GetFileName).Should().BeEquivalentTo(["canvas-01.grad-cam.bag.png", "canvas-01.grad-cam.dress.png"]);
        fromCsv.ExitCode.Should().Be(0, fromCsv.ToString());
        Directory.GetFiles(_temp["csv"], "*.png").Select(Path.GetFileName).Should().BeEquivalentTo(
            ["canvas-01.grad-cam.sneaker.png", "canvas-01.grad-cam.t-shirt-top.png", "canvas-02.grad-cam.ankle-boot.png"]);
    }

    [Fact]
    public void A_user_model_given_as_assembly_and_type_explains_a_folder()
    {
        var folder = _temp["photos"];
        Directory.CreateDirectory(folder);
        Png.Write(Path.Combine(folder, "red.png"), 40, 30, SkiaSharp.SKColors.Red);
        Png.Write(Path.Combine(folder, "blue.png"), 64, 64, SkiaSharp.SKColors.Blue);
        var labels = _temp["labels.txt"];
        File.WriteAllLines(labels, ["cat", "dog", "bird", "fish"]);

        var run = Cli.Run("explain", folder, "--model", UserModelPath(), "--size", "32", "--labels", labels, "--target", "dog", "--method", "cam,grad-cam,guided-backprop", "--out", _temp["out"]);

        run.ExitCode.Should().Be(0, run.ToString());
        Png.Size(_temp["out/red.cam.dog.png"]).Should().Be((40, 30));
        Png.Size(_temp["out/blue.guided-backprop.dog.png"]).Should().Be((64, 64));
        Directory.GetFiles(_temp["out"], "*.png").Should().HaveCount(6);
    }

    [Fact]
    public void A_user_model_loads_its_weights_from_safetensors()
    {
        var weights = _temp["tiny.safetensors"];
        var model = (TorchSharp.torch.nn.Module)Activator.CreateInstance(System.Reflection.Assembly.LoadFrom(Path.Combine(AppContext.BaseDirectory, "Saliency.Cli.Tests.UserModel.dll")).GetType("UserModels.TinyNet")!)!;
        ModelWeights.Save(model, weights);
        Png.Write(_temp["a.png"], 32, 32, SkiaSharp.SKColors.Green);

        var run = Cli.Run("explain", _temp["a.png"], "--model", UserModelPath(), "--weights", weights, "--out", _temp["out"]);

        run.ExitCode.Should().Be(0, run.ToString());
        Directory.GetFiles(_temp["out"], "*.png").Should().ContainSingle();
    }

    [Fact]
    public void Methods_lists_the_four_built_in_methods_with_their_needs()
    {
        var run = Cli.Run("methods");

        run.ExitCode.Should().Be(0, run.ToString());
        run.Out.Should().ContainAll("cam", "grad-cam", "guided-backprop", "guided-grad-cam", "classifier head", "composes grad-cam + guided-backprop");
    }

    [Fact]
    public void Layers_marks_the_default_layer_of_the_demo_model_and_of_a_user_model()
    {
        var demo = Cli.Run("layers", "--model", "fashion-gap");
        var user = Cli.Run("layers", "--model", UserModelPath());

        demo.ExitCode.Should().Be(0, demo.ToString());
        demo.Out.Should().MatchRegex(@"features\s*│\s*Sequential\s*│\s*\*");
        demo.Out.Should().Contain("Linear(64 → 10)");
        user.ExitCode.Should().Be(0, user.ToString());
        user.Out.Should().MatchRegex(@"features\s*│\s*Sequential\s*│\s*\*").And.MatchRegex(@"first\s*│\s*Conv2d\s*│\s*│");
    }

    [Fact]
    public void Resnet18_lists_its_layers_without_weights_and_explains_with_weights_given()
    {
        var weights = _temp["resnet18.safetensors"];
        using (var resnet = TorchSharp.torchvision.models.resnet18())
        {
            ModelWeights.Save(resnet, weights);
        }

        Png.Write(_temp["photo.png"], 80, 60, SkiaSharp.SKColors.Teal);

        var layers = Cli.Run("layers", "--model", "resnet18");
        var withoutWeights = Cli.Run("explain", _temp["photo.png"], "--model", "resnet18");
        var explained = Cli.Run("explain", _temp["photo.png"], "--model", "resnet18", "--weights", weights, "--size", "64", "--method", "cam,guided-backprop", "--out", _temp["out"]);

        layers.ExitCode.Should().Be(0, layers.ToString());
        layers.Out.Should().MatchRegex(@"layer4\s*│\s*Sequential\s*│\s*\*").And.Contain("layer3").And.Contain("Linear(512 → 1000)");
        withoutWeights.ExitCode.Should().Be(2);
        withoutWeights.ErrorLines.Should().Equal("error: Model 'resnet18' has no bundled weights: pass --weights FILE.safetensors.");
        explained.ExitCode.Should().Be(0, explained.ToString());
        var files = Directory.GetFiles(_temp["out"], "*.png");
        files.Should().HaveCount(2);
        files.Select(Png.Size).Should().AllBeEquivalentTo((80, 60));
    }

    [Theory]
    [InlineData("explain")]
    [InlineData("demo")]
    [InlineData("methods")]
    [InlineData("layers")]
    [InlineData("train-demo")]
    public void Every_command_has_help(string command)
    {
        var run = Cli.Run(command, "--help");

        run.ExitCode.Should().Be(0, run.ToString());
        run.Out.Should().Contain("USAGE:").And.Contain($"saliency {command}");
    }

    [Fact]
    public void As_a_real_process_with_redirected_output_it_prints_plain_text_and_returns_its_exit_codes()
    {
        var image = _temp.WriteSamples(count: 1)[0];

        var ok = Cli.RunProcess("explain", image, "--out", _temp["out"]);
        var bad = Cli.RunProcess("explain", image, "--method", "grad_cam");

        ok.ExitCode.Should().Be(0, ok.ToString());
        ok.Out.Should().Contain("Explained 1 of 1").And.NotContain("\u001b[", "redirected output has no ANSI escapes");
        bad.ExitCode.Should().Be(2, bad.ToString());
        bad.ErrorLines.Should().ContainSingle().Which.Should().Be($"error: No method 'grad_cam' is loaded. Did you mean 'grad-cam'? Loaded methods: {BuiltInMethods.List}.");
    }

    internal static string UserModelPath(string type = "UserModels.TinyNet") =>
        Path.Combine(AppContext.BaseDirectory, "Saliency.Cli.Tests.UserModel.dll") + ":" + type;
}
