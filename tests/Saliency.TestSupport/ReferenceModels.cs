using TorchSharp.Modules;
using TorchSharp.PyBridge;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Saliency.Tests;

/// <summary>The reference fixtures' <c>gapnet</c>: convolutions, global average pooling, one Linear (CAM-compatible).</summary>
public sealed partial class GapNet : Module<Tensor, Tensor>
{
    [ExplainLayer(IsDefault = true)]
    private readonly Sequential features;

    [ClassifierHead]
    private readonly Linear fc;

    /// <summary>Builds the architecture (weights from PyTorch's default initialisation).</summary>
    public GapNet() : base(nameof(GapNet))
    {
        features = Sequential(
            Conv2d(3, 8, 3, padding: 1), ReLU(),
            Conv2d(8, 16, 3, padding: 1), ReLU(),
            MaxPool2d(2),
            Conv2d(16, 32, 3, padding: 1), ReLU());
        fc = Linear(32, 10);
        RegisterComponents();
    }

    /// <summary>The classifier head.</summary>
    public Linear Fc => fc;

    /// <summary>Loads <c>model.safetensors</c> of a reference case, in eval mode.</summary>
    public static GapNet Load(string path)
    {
        var model = new GapNet();
        model.load_safetensors(path);
        model.eval();
        return model;
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor input) => fc.call(features.call(input).mean([2, 3]));
}

/// <summary>The reference fixtures' <c>vggmini</c>: convolutions and pooling, then Flatten and two Linears (not CAM-compatible).</summary>
public sealed partial class VggMini : Module<Tensor, Tensor>
{
    [ExplainLayer(IsDefault = true)]
    private readonly Sequential features;

    private readonly Sequential classifier;

    /// <summary>Builds the architecture.</summary>
    public VggMini() : base(nameof(VggMini))
    {
        features = Sequential(
            Conv2d(3, 16, 3, padding: 1), ReLU(), MaxPool2d(2),
            Conv2d(16, 32, 3, padding: 1), ReLU(), MaxPool2d(2),
            Conv2d(32, 64, 3, padding: 1), ReLU(), MaxPool2d(2));
        classifier = Sequential(Flatten(), Linear(1024, 64), ReLU(), Linear(64, 10));
        RegisterComponents();
    }

    /// <summary>Loads <c>model.safetensors</c> of a reference case, in eval mode.</summary>
    public static VggMini Load(string path)
    {
        var model = new VggMini();
        model.load_safetensors(path);
        model.eval();
        return model;
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor input) => classifier.call(features.call(input));
}
