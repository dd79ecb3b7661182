using System.Text.Json;
using Saliency.Models;

namespace Saliency.Cli.Tests;

/// <summary><c>saliency evaluate</c> on the bundled sample canvases: the table, the JSON shape, the plots and bad boxes rows.</summary>
public sealed class EvaluateCommandTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Boxes_covering_whole_images_score_one_and_a_bad_row_is_one_error_naming_its_line()
    {
        var images = _temp.WriteSamples(count: 2);
        var rows = new List<string> { "image,class,x0,y0,x1,y1" };
        foreach (var (image, sample) in images.Zip(DemoSamples.All))
        {
            var name = Path.GetFileName(image);
            rows.Add($"{name},{sample.Items[0].Label},0,0,96,96");
            rows.Add($"{name},{BuiltInModels.FashionMnistLabels[sample.Items[1].Label]},0,0,96,96");
        }

        rows.Add("canvas-01.png,hat,0,0,5,5");
        var boxes = _temp["boxes.csv"];
        File.WriteAllLines(boxes, rows);
        var json = _temp["eval/results.json"];
        var plots = _temp["eval/plots"];

        var run = Cli.Run(
            "evaluate", Path.GetDirectoryName(images[0])!, "--boxes", boxes, "--method", "cam,grad-cam", "--metrics", "localization,faithfulness",
            "--faithfulness-images", "1", "--steps", "2", "--json", json, "--out", plots);

        run.ExitCode.Should().Be(1, run.ToString());
        run.ErrorLines.Should().ContainSingle().Which.Should().StartWith("error: boxes.csv line 6: class 'hat' is neither an index nor one of the model's labels");
        run.Out.Should().Contain("| cam | 4 | 1.000 | 1.000 | 1.000 |").And.Contain("| grad-cam | 4 | 1.000 | 1.000 | 1.000 |");
        using var document = JsonDocument.Parse(File.ReadAllText(json));
        var cam = document.RootElement.GetProperty("methods").GetProperty("cam");
        cam.GetProperty("pairs").GetInt32().Should().Be(4);
        cam.GetProperty("faithfulness_pairs").GetInt32().Should().Be(2);
        cam.GetProperty("pointing_game").GetDouble().Should().Be(1);
        cam.GetProperty("energy_pointing").GetDouble().Should().Be(1);
        cam.GetProperty("curves").GetProperty("deletion").GetArrayLength().Should().Be(3);
        foreach (var key in new[] { "deletion_auc", "insertion_auc", "average_drop", "increase_in_confidence", "road_morf", "road_lerf" })
        {
            cam.GetProperty(key).GetDouble().Should().BeInRange(0, 1, key);
        }

        Png.Size(Path.Combine(plots, "deletion.png")).Should().Be((960, 600));
        Png.Size(Path.Combine(plots, "insertion.png")).Should().Be((960, 600));
        File.Exists(Path.Combine(plots, "randomization-spearman.png")).Should().BeFalse("the sanity check was not asked for");
    }

    [Fact]
    public void Evaluate_needs_images_or_canvases_but_not_both()
    {
        var run = Cli.Run("evaluate", "--method", "cam");

        run.ExitCode.Should().Be(2, run.ToString());
        run.ErrorLines.Should().ContainSingle().Which.Should().Be("error: Give image files (with --boxes for localization) or --canvases N, not both and not neither.");
    }
}
