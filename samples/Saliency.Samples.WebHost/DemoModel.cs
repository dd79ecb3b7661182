using Saliency.Imaging;
using Saliency.Models;
using SkiaSharp;
using static TorchSharp.torch;

namespace Saliency.Samples.WebHost;

/// <summary>A served method, as GET /methods lists it.</summary>
/// <param name="Id">What POST /explain takes as <c>method</c>.</param>
/// <param name="Name">The display name.</param>
/// <param name="Description">One line.</param>
public sealed record MethodInfo(string Id, string Name, string Description);

/// <summary>A request the service refused, and why.</summary>
/// <param name="Error">One sentence naming the problem and the fix.</param>
public sealed record ErrorInfo(string Error);

/// <summary>
/// The model this sample explains: fashion-gap, the demo's CAM network for 96×96 grayscale canvases (weights bundled
/// in Saliency.Models). An application registers its own [ExplainLayer] model the same way. A TorchSharp module runs
/// one explanation at a time (hooks are per module), so requests take turns.
/// </summary>
public sealed class DemoModel : IDisposable
{
    private readonly ModelDefinition _definition = BuiltInModels.FashionGap;
    private readonly IExplainable _model;
    private readonly Lock _gate = new();

    /// <summary>Builds the model and loads its bundled weights.</summary>
    public DemoModel()
    {
        _model = _definition.Create();
        using var weights = _definition.OpenWeights!();
        ModelWeights.Load(_model.Module, weights, $"(bundled weights of {_definition.Name})");
    }

    /// <summary>Explains one image and returns the heat map over it as a PNG of the image's size.</summary>
    /// <param name="host">The host serving the methods.</param>
    /// <param name="image">The image file's bytes.</param>
    /// <param name="name">The file name, for messages.</param>
    /// <param name="method">The method id.</param>
    /// <param name="target">The class to explain, or <see langword="null"/> for the top class.</param>
    /// <param name="cancellation">Stops the explanation.</param>
    /// <returns>The overlay PNG.</returns>
    public byte[] Explain(SaliencyHost host, byte[] image, string name, string method, int? target, CancellationToken cancellation)
    {
        using var bitmap = ImageFile.Decode(image, name);
        var request = new ExplainRequest(method) { Targets = target is { } t ? [t] : null };
        lock (_gate)
        {
            using var scope = NewDisposeScope();
            var input = ImageTensors.ToBatch([bitmap], _definition.Input);
            using var result = host.Explain(_model, input, request, cancellation);
            var map = result.Map[0].cpu().to(ScalarType.Float32).contiguous();
            var mapImage = new MapImage((int)map.shape[1], (int)map.shape[0], map.data<float>().ToArray());
            using var overlay = Overlay.Blend(bitmap, mapImage, Colormap.Jet);
            using var png = overlay.Encode(SKEncodedImageFormat.Png, 100);
            return png.ToArray();
        }
    }

    /// <inheritdoc />
    public void Dispose() => _model.Module.Dispose();
}
