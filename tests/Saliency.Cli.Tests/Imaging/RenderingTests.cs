using Saliency.Imaging;
using SkiaSharp;
using static TorchSharp.torch;

namespace Saliency.Cli.Tests.Imaging;

public sealed class RenderingTests
{
    [Theory]
    [InlineData(0f)]
    [InlineData(0.5f)]
    [InlineData(1f)]
    public void The_overlay_is_the_alpha_weighted_mean_of_image_and_colour(float alpha)
    {
        using var image = Bitmaps.FromGray(2, 1, [0.2f, 1f]);
        var map = new MapImage(2, 1, [1f, 0f]);

        using var overlay = Overlay.Blend(image, map, Colormap.Jet, alpha);

        var rgba = Bitmaps.ToRgba(overlay);
        var hot = Colormap.Jet[1f];
        rgba[0].Should().Be((byte)MathF.Round(((1 - alpha) * 51) + (alpha * hot.Red)));
        rgba[2].Should().Be((byte)MathF.Round(((1 - alpha) * 51) + (alpha * hot.Blue)));
        rgba[6].Should().Be((byte)MathF.Round(((1 - alpha) * 255) + (alpha * Colormap.Jet[0f].Blue)));
    }

    [Fact]
    public void Gradients_render_like_deprocess_image_zero_is_mid_gray_and_one_std_is_a_tenth_brighter()
    {
        float[] values = [1, -1, 1, -1];

        using var rendered = GradientImage.Render(values, 1, 2, 2);

        var rgba = Bitmaps.ToRgba(rendered);
        rgba[0].Should().Be(Bitmaps.ToByte(0.6f));
        rgba[4].Should().Be(Bitmaps.ToByte(0.4f));
        (rgba[0], rgba[1], rgba[2]).Should().Be((rgba[0], rgba[0], rgba[0]), "one channel is shown as gray");
        using var flat = GradientImage.Render(new float[4], 1, 2, 2);
        Bitmaps.ToRgba(flat)[0].Should().Be(128);
    }

    [Fact]
    public void Map_resizing_matches_torch_bilinear_interpolation()
    {
        float[] values = [0, 1, 2, 3, 4, 5];
        using var scope = NewDisposeScope();
        var expected = nn.functional.interpolate(tensor(values, [1, 1, 2, 3]), [5, 7], mode: InterpolationMode.Bilinear, align_corners: false);

        var resized = new MapImage(3, 2, values).Resize(7, 5);

        resized.Values.Should().Equal(expected.data<float>().ToArray(), (a, b) => Math.Abs(a - b) < 1e-5);
    }

    [Fact]
    public void Images_become_normalised_gray_inputs_and_back()
    {
        using var image = Bitmaps.FromGray(3, 2, [0, 0.2f, 0.4f, 0.6f, 0.8f, 1]);
        var spec = new InputSpec(1, 2, 3, [0.5f], [0.25f]);

        using var batch = ImageTensors.ToBatch([image], spec);
        using var back = ImageTensors.ToBitmap(batch[0], spec);

        batch.shape.Should().Equal(1, 1, 2, 3);
        batch[0, 0, 0, 0].item<float>().Should().BeApproximately(-2f, 1e-6f);
        batch[0, 0, 1, 2].item<float>().Should().BeApproximately(2f, 1e-6f);
        Bitmaps.ToRgba(back).Should().Equal(Bitmaps.ToRgba(image));
    }

    [Fact]
    public void Rgb_images_become_one_luma_channel_for_gray_models()
    {
        using var red = new SKBitmap(new SKImageInfo(1, 1, SKColorType.Rgba8888, SKAlphaType.Opaque));
        red.Erase(SKColors.Red);

        var values = ImageTensors.ToChw(red, new InputSpec(1, 1, 1, [0f], [1f]));

        values.Should().ContainSingle().Which.Should().BeApproximately(0.299f, 1e-6f);
    }

    [Fact]
    public void The_contact_sheet_draws_headings_and_labels_with_the_embedded_font()
    {
        using var cell = Bitmaps.FromGray(2, 2, [0, 0, 0, 0]);
        var sheet = new ContactSheet(["One", "Two"], 50, 40);
        sheet.AddRow("Label", [cell, cell]);

        using var figure = sheet.Render("Title");

        figure.Width.Should().BeGreaterThan(2 * 50);
        var rgba = Bitmaps.ToRgba(figure);
        var labelArea = Enumerable.Range(0, figure.Height).Any(y => Enumerable.Range(16, 20).Any(x => rgba[4 * ((y * figure.Width) + x)] < 128));
        labelArea.Should().BeTrue("the title and row label are drawn in black at the left margin");
    }

    [Fact]
    public void Jpeg_files_load_and_the_size_limit_reads_only_the_header()
    {
        var path = Path.Combine(Path.GetTempPath(), $"saliency-{Guid.NewGuid():N}.jpg");
        using (var bitmap = new SKBitmap(30, 20))
        {
            bitmap.Erase(SKColors.Orange);
            using var data = bitmap.Encode(SKEncodedImageFormat.Jpeg, 90);
            File.WriteAllBytes(path, data.ToArray());
        }

        try
        {
            using var loaded = ImageFile.Load(path);
            (loaded.Width, loaded.Height).Should().Be((30, 20));
            var act = () => ImageFile.Load(path, new ImageLimits(29, 100, 10_000));
            act.Should().Throw<ImageException>().Which.Problem.Should().Be("image too large: 30×20 exceeds the 29×100 limit (not decoded)");
        }
        finally
        {
            File.Delete(path);
        }
    }
}
