using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Saliency.Models;
using Saliency.Models.Training;
using Saliency.Samples.WebHost;
using SkiaSharp;

namespace Saliency.Tests;

/// <summary>The web host sample run in process: its real endpoints, its one host, and a plugin dropped in while it runs.</summary>
public sealed class WebHostTests : IClassFixture<WebHostTests.Factory>
{
    private const int Margin = 4;
    private readonly Factory _factory;

    public WebHostTests(Factory factory) => _factory = factory;

    [Fact]
    public async Task Methods_lists_the_built_in_methods_of_the_one_host()
    {
        using var client = _factory.CreateClient();

        var methods = await client.GetFromJsonAsync<MethodInfo[]>("/methods");

        methods!.Select(m => m.Id).Should().Contain(["cam", "grad-cam", "grad-cam++", "guided-backprop", "score-cam", "integrated-gradients"]);
        methods!.Single(m => m.Id == "grad-cam").Name.Should().Be("Grad-CAM");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public async Task Explain_returns_an_overlay_of_the_image_size_whose_hottest_pixel_lies_on_the_target_item(int which)
    {
        using var client = _factory.CreateClient();
        var sample = DemoSamples.All[0];
        var (item, other) = which == 0 ? (sample.Items[0], sample.Items[1]) : (sample.Items[1], sample.Items[0]);

        using var response = await client.PostAsync("/explain", Form(sample.Png, "grad-cam", item.Label));

        response.StatusCode.Should().Be(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        response.Content.Headers.ContentType!.MediaType.Should().Be("image/png");
        using var overlay = SKBitmap.Decode(await response.Content.ReadAsByteArrayAsync());
        overlay.Width.Should().Be(CanvasGenerator.Side);
        overlay.Height.Should().Be(CanvasGenerator.Side);
        // The canvas is gray, so red minus blue is the jet colour alone: highest where the map is.
        var (x, y) = Hottest(overlay);
        item.Contains(x, y, Margin).Should().BeTrue($"the hottest pixel ({x},{y}) should lie on {BuiltInModels.FashionMnistLabels[item.Label]}");
        other.Contains(x, y).Should().BeFalse("the hottest pixel should not lie on the other item");
    }

    [Fact]
    public async Task An_unknown_method_is_a_bad_request_that_names_the_nearest_method()
    {
        using var client = _factory.CreateClient();

        using var response = await client.PostAsync("/explain", Form(DemoSamples.All[0].Png, "grad_cam", null));

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        var error = await response.Content.ReadFromJsonAsync<ErrorInfo>();
        error!.Error.Should().StartWith("No method 'grad_cam' is loaded. Did you mean 'grad-cam'?");
    }

    [Fact]
    public async Task A_plugin_dropped_in_while_the_host_runs_is_listed_and_served()
    {
        using var client = _factory.CreateClient();
        (await client.GetFromJsonAsync<MethodInfo[]>("/methods"))!.Select(m => m.Id).Should().NotContain("constant-map");

        Repository.InstallPlugin(Repository.TestPlugin("ConstantMapV1"), _factory.PluginDirectory, "Saliency.TestPlugin");

        var deadline = DateTime.UtcNow.AddSeconds(30);
        MethodInfo[] methods;
        do
        {
            await Task.Delay(100);
            methods = (await client.GetFromJsonAsync<MethodInfo[]>("/methods"))!;
        }
        while (!methods.Any(m => m.Id == "constant-map") && DateTime.UtcNow < deadline);

        methods.Should().Contain(m => m.Id == "constant-map" && m.Name == "Constant map v1");
        using var response = await client.PostAsync("/explain", Form(DemoSamples.All[0].Png, "constant-map", 0));
        response.StatusCode.Should().Be(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
    }

    private static MultipartFormDataContent Form(byte[] png, string method, int? target)
    {
        var image = new ByteArrayContent(png);
        image.Headers.ContentType = new MediaTypeHeaderValue("image/png");
        var form = new MultipartFormDataContent { { image, "image", "canvas.png" }, { new StringContent(method), "method" } };
        if (target is { } t)
        {
            form.Add(new StringContent(t.ToString(System.Globalization.CultureInfo.InvariantCulture)), "target");
        }

        return form;
    }

    private static (int X, int Y) Hottest(SKBitmap bitmap)
    {
        var (best, bestX, bestY) = (int.MinValue, 0, 0);
        for (var y = 0; y < bitmap.Height; y++)
        {
            for (var x = 0; x < bitmap.Width; x++)
            {
                var colour = bitmap.GetPixel(x, y);
                if (colour.Red - colour.Blue > best)
                {
                    (best, bestX, bestY) = (colour.Red - colour.Blue, x, y);
                }
            }
        }

        return (bestX, bestY);
    }

    /// <summary>The sample app with a private plugin directory, configured as its users would: the "Saliency" section.</summary>
    public sealed class Factory : WebApplicationFactory<Program>
    {
        public string PluginDirectory { get; } = Directory.CreateTempSubdirectory("saliency-web-plugins-").FullName;

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseSetting("Saliency:PluginDirectories:0", PluginDirectory);
            builder.UseSetting("Saliency:UseEnvironmentPluginPath", "false");
            builder.UseSetting("Saliency:Device", "cpu");
            builder.UseSetting("Saliency:ReloadDelay", "00:00:00.100");
        }

        protected override void Dispose(bool disposing)
        {
            base.Dispose(disposing);
            if (disposing && Directory.Exists(PluginDirectory))
            {
                Directory.Delete(PluginDirectory, recursive: true);
            }
        }
    }
}
