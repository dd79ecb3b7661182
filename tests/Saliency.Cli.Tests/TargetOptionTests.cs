using SkiaSharp;
using TorchSharp.PyBridge;

namespace Saliency.Cli.Tests;

/// <summary>
/// <c>explain --mask</c> (segmentation models) and <c>--similar-to</c> (embedding models) on the user-model assembly's
/// TinySegmenter and TinyEmbedder, whose weights are set in code so that the right answer is known: a 32×32 scene with
/// a red 8×8 object A (rows and columns 4–11) and a green one B (20–27) on black.
/// </summary>
public sealed class TargetOptionTests : IDisposable
{
    private const int A = 4;
    private const int B = 20;
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData(A, B)]
    [InlineData(B, A)]
    public void A_mask_over_one_object_puts_grad_cams_hottest_pixel_on_that_object_and_not_the_other(int covered, int other)
    {
        var scene = Scene(_temp["scene.png"], red: true, green: true);
        var labels = _temp["labels.txt"];
        File.WriteAllLines(labels, ["background", "object"]);
        // A 64×64 mask over the covered object (scaled 2×): nearest-neighbour resizing gives exactly its 8×8 square.
        var mask = Image(_temp["mask.png"], 64, 64, (2 * covered, 2 * covered, 16, SKColors.White));

        var run = Cli.Run("explain", scene, "--model", EndToEndTests.UserModelPath("UserModels.TinySegmenter"), "--size", "32", "--mean", "0", "--std", "1",
            "--labels", labels, "--mask", mask, "--save-maps", "--out", _temp["out"]);

        run.ExitCode.Should().Be(0, run.ToString());
        Png.Size(_temp["out/scene.grad-cam.object.png"]).Should().Be((32, 32), "the default target is the class with the highest score over the mask");
        var maps = Safetensors.LoadStateDict(_temp["out/scene.maps.safetensors"]);
        maps.Keys.Should().BeEquivalentTo("grad-cam/object/map", "grad-cam/object/raw", "mask-scores");
        // Over either object, class 1 is relu(1 − 0.5) + relu(0 − 0.5) = 0.5 at every pixel and class 0 its negative.
        maps["mask-scores"].data<float>().ToArray().Should().Equal(-0.5f, 0.5f);
        var map = maps["grad-cam/object/map"];
        var hottest = map.argmax().item<long>();
        ((int)(hottest / 32), (int)(hottest % 32)).Should().Match<(int Row, int Col)>(p => Inside(p.Row, covered) && Inside(p.Col, covered));
        map[other..(other + 8), other..(other + 8)].max().item<float>().Should().Be(0, "the other object sends no gradient through the mask");
    }

    [Fact]
    public void Similar_to_lights_the_object_the_reference_holds_more_than_the_other_and_saves_the_embedding_and_similarity()
    {
        var scene = Scene(_temp["scene.png"], red: true, green: true);
        var reference = Scene(_temp["Only A.png"], red: true, green: false);

        var run = Cli.Run("explain", scene, "--model", EndToEndTests.UserModelPath("UserModels.TinyEmbedder"), "--size", "32", "--mean", "0", "--std", "1",
            "--similar-to", reference, "--method", "grad-cam,guided-backprop", "--save-maps", "--out", _temp["out"]);

        run.ExitCode.Should().Be(0, run.ToString());
        Directory.GetFiles(_temp["out"], "*.png").Select(Path.GetFileName).Should().BeEquivalentTo("scene.grad-cam.similar-to-only-a.png", "scene.guided-backprop.similar-to-only-a.png");
        var maps = Safetensors.LoadStateDict(_temp["out/scene.maps.safetensors"]);
        maps.Keys.Should().BeEquivalentTo("grad-cam/similar-to-only-a/map", "grad-cam/similar-to-only-a/raw", "guided-backprop/similar-to-only-a/map", "guided-backprop/similar-to-only-a/raw", "embedding", "similarity");
        // Each object covers 64 of 1024 pixels with 1 in its colour: embedding (1/16, 1/16), reference (1/16, 0), cosine 1/√2.
        maps["embedding"].data<float>().ToArray().Should().Equal(0.0625f, 0.0625f);
        maps["similarity"].item<float>().Should().BeApproximately(MathF.Sqrt(0.5f), 1e-6f);
        // ∂cos/∂e = (r̂ − cos·ê)/|e| = (1/2, −1/2)/|e|: red evidence counts for, green against, so Grad-CAM is relu(α·red).
        var map = maps["grad-cam/similar-to-only-a/map"];
        map[A..(A + 8), A..(A + 8)].min().item<float>().Should().BeGreaterThan(0.5f);
        map[B..(B + 8), B..(B + 8)].max().item<float>().Should().Be(0);
    }

    [Fact]
    public void Top_k_with_a_mask_explains_every_class_of_every_image_batch_after_batch_and_probability_is_refused()
    {
        Directory.CreateDirectory(_temp["scenes"]);
        var scene = Scene(_temp["scenes/first.png"], red: true, green: true);
        Scene(_temp["scenes/second.png"], red: true, green: true);
        var mask = Image(_temp["mask.png"], 32, 32, (A, A, 8, SKColors.Gray));

        var run = Cli.Run("explain", _temp["scenes"], "--model", EndToEndTests.UserModelPath("UserModels.TinySegmenter"), "--size", "32", "--mean", "0", "--std", "1",
            "--mask", mask, "--top-k", "2", "--batch-size", "1", "--out", _temp["out"]);
        var probability = Cli.Run("explain", scene, "--model", EndToEndTests.UserModelPath("UserModels.TinySegmenter"), "--mask", mask, "--score", "probability");

        run.ExitCode.Should().Be(0, run.ToString());
        Directory.GetFiles(_temp["out"], "*.png").Select(Path.GetFileName).Should().BeEquivalentTo("first.grad-cam.0.png", "first.grad-cam.1.png", "second.grad-cam.0.png", "second.grad-cam.1.png");
        run.Out.Should().Contain("Explained 2 of 2 image(s) with grad-cam at layer features: 4 file(s)");
        probability.ExitCode.Should().Be(2);
        probability.ErrorLines.Should().Equal("error: --score probability does not apply with --mask: the mask target sums the class's logits over the mask (pytorch-grad-cam's SemanticSegmentationTarget); drop --score.");
    }

    [Fact]
    public void Options_that_do_not_fit_the_target_or_the_model_are_refused_with_one_line_before_any_image_is_read()
    {
        var missing = _temp["no-such-image.png"];
        var mask = Image(_temp["mask.png"], 32, 32, (A, A, 8, SKColors.White));
        var reference = Scene(_temp["ref.png"], red: true, green: false);
        File.WriteAllLines(_temp["targets.csv"], ["no-such-image.png,1"]);
        var segmenter = EndToEndTests.UserModelPath("UserModels.TinySegmenter");
        string[] small = ["--size", "32", "--mean", "0", "--std", "1"];

        var both = Cli.Run("explain", missing, "--mask", mask, "--similar-to", reference);
        var target = Cli.Run("explain", missing, "--similar-to", reference, "--target", "1");
        var topK = Cli.Run("explain", missing, "--similar-to", reference, "--top-k", "2");
        var targetsFrom = Cli.Run("explain", missing, "--similar-to", reference, "--targets-from", _temp["targets.csv"]);
        var probability = Cli.Run("explain", missing, "--similar-to", reference, "--score", "probability");
        var classifierWithMask = Cli.Run("explain", missing, "--mask", mask);
        var segmenterSimilarTo = Cli.Run(["explain", missing, "--model", segmenter, "--similar-to", reference, .. small]);
        var segmenterAlone = Cli.Run(["explain", missing, "--model", segmenter, .. small]);

        var alone = $"does not apply with --similar-to: an embedding has no classes; each image is explained by its similarity to {reference}.";
        both.ErrorLines.Should().Equal("error: Give --mask or --similar-to, not both: --mask explains classes of a segmentation model over a region, --similar-to an embedding's similarity to a reference image.");
        target.ErrorLines.Should().Equal($"error: --target {alone}");
        topK.ErrorLines.Should().Equal($"error: --top-k {alone}");
        targetsFrom.ErrorLines.Should().Equal($"error: --targets-from {alone}");
        probability.ErrorLines.Should().Equal($"error: --score probability {alone}");
        classifierWithMask.ErrorLines.Should().Equal("error: --mask needs a segmentation model whose output is [B,classes,H,W]; fashion-gap returns [B,10].");
        segmenterSimilarTo.ErrorLines.Should().Equal("error: --similar-to needs an embedding model whose output is [B,D]; UserModels.TinySegmenter returns [B,2,32,32].");
        segmenterAlone.ErrorLines.Should().Equal("error: Model UserModels.TinySegmenter returns [B,2,32,32]; explaining classes needs logits [B,classes]. For a segmentation model give --mask MASK.png.");
        var runs = new[] { both, target, topK, targetsFrom, probability, classifierWithMask, segmenterSimilarTo, segmenterAlone };
        runs.Select(r => r.ExitCode).Should().AllBeEquivalentTo(2);
        runs.Should().AllSatisfy(r => r.Out.Should().NotContain("Explained", "nothing was read or explained"));
    }

    [Fact]
    public void An_empty_or_unreadable_mask_and_a_reference_embedded_as_zero_are_refused_with_one_line()
    {
        var scene = Scene(_temp["scene.png"], red: true, green: true);
        var empty = Png.Write(_temp["empty.png"], 32, 32, SKColors.Black);
        var tiny = Image(_temp["tiny.png"], 256, 256, (0, 0, 1, SKColors.White));
        var segmenter = EndToEndTests.UserModelPath("UserModels.TinySegmenter");
        string[] small = ["--size", "32", "--mean", "0", "--std", "1"];

        var emptyMask = Cli.Run(["explain", scene, "--model", segmenter, "--mask", empty, .. small]);
        var missingMask = Cli.Run(["explain", scene, "--model", segmenter, "--mask", _temp["nothing.png"], .. small]);
        var lostMask = Cli.Run(["explain", scene, "--model", segmenter, "--mask", tiny, .. small]);
        var zeroReference = Cli.Run(["explain", scene, "--model", EndToEndTests.UserModelPath("UserModels.TinyEmbedder"), "--similar-to", empty, .. small]);

        emptyMask.ErrorLines.Should().Equal($"error: --mask {empty} is empty (every pixel is black): mark the region to explain with pixels above 0.");
        missingMask.ErrorLines.Should().ContainSingle().Which.Should().StartWith($"error: --mask {_temp["nothing.png"]}: ");
        lostMask.ErrorLines.Should().Equal($"error: --mask {tiny} covers no pixel of the model's 32×32 output once resized from 256×256 (nearest neighbour): draw a larger region.");
        zeroReference.ErrorLines.Should().Equal($"error: --similar-to {empty}: UserModels.TinyEmbedder embeds it as zero, so nothing can be similar to it; choose another reference image.");
        new[] { emptyMask, missingMask, lostMask, zeroReference }.Select(r => r.ExitCode).Should().AllBeEquivalentTo(2);
    }

    [Fact]
    public void A_method_that_needs_a_classifier_head_fails_with_the_librarys_message()
    {
        var scene = Scene(_temp["scene.png"], red: true, green: true);
        var mask = Image(_temp["mask.png"], 32, 32, (A, A, 8, SKColors.White));

        var run = Cli.Run("explain", scene, "--model", EndToEndTests.UserModelPath("UserModels.TinySegmenter"), "--size", "32", "--mean", "0", "--std", "1",
            "--mask", mask, "--method", "cam", "--out", _temp["out"]);

        run.ExitCode.Should().Be(2, run.ToString());
        run.ErrorLines.Should().ContainSingle().Which.Should().Match("error: Method 'cam' explains a class through the classifier head, but this request's target is 'segmentation:1:#*'. Use a gradient method such as 'grad-cam'.");
    }

    [Fact]
    public void Help_describes_mask_and_similar_to_with_the_outputs_they_need()
    {
        var run = Cli.Run("explain", "--help");

        run.ExitCode.Should().Be(0, run.ToString());
        run.Out.Should().Contain("--mask").And.Contain("[B,classes,H,W]").And.Contain("--similar-to").And.Contain("[B,D]");
    }

    private static bool Inside(int position, int corner) => position >= corner && position < corner + 8;

    /// <summary>The 32×32 scene: black, with the red object A and/or the green object B.</summary>
    private static string Scene(string path, bool red, bool green)
    {
        List<(int, int, int, SKColor)> squares = [];
        if (red)
        {
            squares.Add((A, A, 8, new SKColor(255, 0, 0)));
        }

        if (green)
        {
            squares.Add((B, B, 8, new SKColor(0, 255, 0)));
        }

        return Image(path, 32, 32, [.. squares]);
    }

    /// <summary>A black PNG with filled squares (top row, left column, side, colour).</summary>
    private static string Image(string path, int width, int height, params (int Row, int Col, int Side, SKColor Colour)[] squares)
    {
        using var bitmap = new SKBitmap(width, height);
        bitmap.Erase(SKColors.Black);
        foreach (var (row, col, side, colour) in squares)
        {
            for (var y = row; y < row + side; y++)
            {
                for (var x = col; x < col + side; x++)
                {
                    bitmap.SetPixel(x, y, colour);
                }
            }
        }

        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        File.WriteAllBytes(path, data.ToArray());
        return path;
    }
}
