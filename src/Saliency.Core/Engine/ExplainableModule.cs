using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Saliency;

/// <summary>
/// The <see cref="IExplainable"/> view of a module that cannot be annotated with <c>[ExplainLayer]</c>
/// (TorchVision's <c>resnet18</c>, any module from elsewhere), built from module paths.
/// </summary>
/// <example>
/// <code>
/// var model = ExplainableModule.Create(torchvision.models.resnet18(), ["layer4", "layer3"], classifierHead: "fc");
/// </code>
/// </example>
public sealed class ExplainableModule : IExplainable
{
    private static readonly string[] s_functionalReluBlocks =
    [
        // TorchVision's residual blocks end with x.add_(identity).relu_(): a functional ReLU on the block output.
        "TorchSharp.Modules.ResNet+BasicBlock",
        "TorchSharp.Modules.ResNet+Bottleneck",
    ];

    private readonly Dictionary<string, nn.Module<Tensor, Tensor>> _layers;

    private ExplainableModule(
        nn.Module<Tensor, Tensor> module,
        IReadOnlyList<ExplainableLayer> layers,
        Dictionary<string, nn.Module<Tensor, Tensor>> resolved,
        Linear? classifierHead,
        IReadOnlyList<string> functionalReluOutputs,
        IReadOnlyList<string> unguidableRelus)
    {
        Module = module;
        Layers = layers;
        _layers = resolved;
        ClassifierHead = classifierHead;
        FunctionalReluOutputs = functionalReluOutputs;
        UnguidableRelus = unguidableRelus;
        DefaultLayer = layers[0].Name;
    }

    /// <inheritdoc />
    public nn.Module<Tensor, Tensor> Module { get; }

    /// <inheritdoc />
    public IReadOnlyList<ExplainableLayer> Layers { get; }

    /// <inheritdoc />
    public string DefaultLayer { get; }

    /// <inheritdoc />
    public Linear? ClassifierHead { get; }

    /// <inheritdoc />
    public IReadOnlyList<string> FunctionalReluOutputs { get; }

    /// <inheritdoc />
    public IReadOnlyList<string> UnguidableRelus { get; }

    /// <summary>Builds the view.</summary>
    /// <param name="module">The model: <c>call</c> maps <c>[B,C,H,W]</c> to logits.</param>
    /// <param name="layers">Module paths (as in <c>named_modules()</c>) to explain; the first is the default.</param>
    /// <param name="classifierHead">Path of the <c>Linear</c> fed by global average pooling of the layer (for CAM), if any.</param>
    /// <param name="functionalReluOutputs">
    /// Paths of modules whose output is a functional ReLU; <see langword="null"/> detects TorchVision's ResNet blocks.
    /// </param>
    /// <param name="unguidableRelus">Functional ReLUs inside the model that no hook reaches, to be reported by Guided Backprop.</param>
    /// <param name="tokenLayout">For vision transformers: how the listed layers' tokens <c>[B,N,C]</c> lie on the image (they are then explained as <c>[B,C,h,w]</c> grids).</param>
    /// <returns>The explainable view.</returns>
    /// <exception cref="UnknownLayerException">A path does not exist.</exception>
    /// <exception cref="ArgumentException">No layer is given, or a path names a module of the wrong kind.</exception>
    public static ExplainableModule Create(
        nn.Module<Tensor, Tensor> module,
        IEnumerable<string> layers,
        string? classifierHead = null,
        IEnumerable<string>? functionalReluOutputs = null,
        IEnumerable<string>? unguidableRelus = null,
        TokenLayout? tokenLayout = null)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(layers);
        TorchRuntime.EnsureInitialized();
        var paths = layers.ToList();
        if (paths.Count == 0)
        {
            throw new ArgumentException($"Name at least one layer of {module.GetType().Name} to explain (for example the last convolutional block).", nameof(layers));
        }

        var resolved = new Dictionary<string, nn.Module<Tensor, Tensor>>(StringComparer.Ordinal);
        var described = new List<ExplainableLayer>();
        foreach (var path in paths)
        {
            var layer = ExplainableSupport.ResolvePath(module, path, []);
            if (resolved.TryAdd(path, layer))
            {
                described.Add(new ExplainableLayer(path, layer.GetType(), described.Count == 0));
            }
        }

        Linear? head = null;
        if (classifierHead is not null)
        {
            var candidate = module.named_modules().FirstOrDefault(m => m.name == classifierHead).module;
            head = candidate switch
            {
                Linear linear => linear,
                null => throw new UnknownLayerException(classifierHead, ExplainableSupport.ValidNames(module, []), module.GetType().Name),
                _ => throw new ArgumentException($"Classifier head '{classifierHead}' of {module.GetType().Name} is a {candidate.GetType().Name}; CAM needs a Linear.", nameof(classifierHead)),
            };
        }

        var reluOutputs = functionalReluOutputs?.ToList() ?? DetectFunctionalReluOutputs(module);
        foreach (var path in reluOutputs)
        {
            _ = ExplainableSupport.ResolvePath(module, path, []);
        }

        return new ExplainableModule(module, described, resolved, head, reluOutputs, unguidableRelus?.ToList() ?? []) { TokenLayout = tokenLayout };
    }

    /// <inheritdoc />
    public nn.Module<Tensor, Tensor> GetLayer(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return _layers.TryGetValue(name, out var layer) ? layer : ExplainableSupport.ResolvePath(Module, name, Layers);
    }

    /// <inheritdoc />
    public TokenLayout? GetTokenLayout(string layer) => TokenLayout is not null && _layers.ContainsKey(layer) ? TokenLayout : null;

    /// <summary>The token layout of the listed layers, if they are transformer layers.</summary>
    public TokenLayout? TokenLayout { get; private init; }

    /// <inheritdoc />
    public IDisposable RegisterForwardHook(string layer, LayerHook hook) => ExplainableSupport.RegisterForwardHook(GetLayer(layer), hook);

    private static List<string> DetectFunctionalReluOutputs(nn.Module module) =>
        module.named_modules()
            .Where(m => m.name.Length > 0 && s_functionalReluBlocks.Contains(m.module.GetType().FullName, StringComparer.Ordinal))
            .Select(m => m.name)
            .ToList();
}
