using Saliency;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace UserModels;

/// <summary>A small RGB CAM network (two convolutions, global average pooling, a Linear over 4 classes).</summary>
public sealed partial class TinyNet : Module<Tensor, Tensor>
{
    [ExplainLayer(IsDefault = true)]
    private readonly Sequential features;

    [ExplainLayer("first")]
    private readonly Conv2d conv;

    [ClassifierHead]
    private readonly Linear head;

    public TinyNet()
        : base(nameof(TinyNet))
    {
        conv = Conv2d(3, 8, 3, padding: 1);
        features = Sequential(ReLU(), Conv2d(8, 16, 3, padding: 1), ReLU());
        head = Linear(16, 4);
        RegisterComponents();
    }

    public override Tensor forward(Tensor input) => head.call(features.call(conv.call(input)).mean([2, 3]));
}

/// <summary>A model without [ExplainLayer]: the saliency command must refuse it with a clear message.</summary>
public sealed class PlainNet : Module<Tensor, Tensor>
{
    private readonly Linear head;

    public PlainNet()
        : base(nameof(PlainNet))
    {
        head = Linear(3, 2);
        RegisterComponents();
    }

    public override Tensor forward(Tensor input) => head.call(input.mean([2, 3]));
}

/// <summary>
/// A segmentation network with weights set in code (input RGB in [0,1], mean 0, std 1): <c>features</c> holds the red
/// and the green of each pixel (1×1 convolution, ReLU); the head keeps what is above 0.5 in each
/// (<c>relu(f − 0.5)</c>) and sums it into class 1 ("object"), class 0 ("background") being its negative: output
/// <c>[B,2,H,W]</c>. A mask over a red object sends gradient only to the red channel, so Grad-CAM lights that object.
/// </summary>
public sealed partial class TinySegmenter : Module<Tensor, Tensor>
{
    [ExplainLayer(IsDefault = true)]
    private readonly Sequential features;

    private readonly Sequential head;

    public TinySegmenter()
        : base(nameof(TinySegmenter))
    {
        var colours = Conv2d(3, 2, 1, bias: false);
        var threshold = Conv2d(2, 2, 1);
        var classes = Conv2d(2, 2, 1, bias: false);
        features = Sequential(colours, ReLU());
        head = Sequential(threshold, ReLU(), classes);
        RegisterComponents();
        using var noGrad = no_grad();
        colours.weight!.copy_(tensor(new float[] { 1, 0, 0, 0, 1, 0 }).reshape(2, 3, 1, 1));
        threshold.weight!.copy_(eye(2).reshape(2, 2, 1, 1));
        threshold.bias!.fill_(-0.5);
        classes.weight!.copy_(tensor(new float[] { -1, -1, 1, 1 }).reshape(2, 2, 1, 1));
    }

    public override Tensor forward(Tensor input) => head.call(features.call(input));
}

/// <summary>
/// An embedding network with weights set in code: <c>features</c> holds the red and the green of each pixel (1×1
/// convolution, ReLU) and the embedding is their global average, <c>[B,2]</c> (how much red, how much green).
/// </summary>
public sealed partial class TinyEmbedder : Module<Tensor, Tensor>
{
    [ExplainLayer(IsDefault = true)]
    private readonly Sequential features;

    public TinyEmbedder()
        : base(nameof(TinyEmbedder))
    {
        var colours = Conv2d(3, 2, 1, bias: false);
        features = Sequential(colours, ReLU());
        RegisterComponents();
        using var noGrad = no_grad();
        colours.weight!.copy_(tensor(new float[] { 1, 0, 0, 0, 1, 0 }).reshape(2, 3, 1, 1));
    }

    public override Tensor forward(Tensor input) => features.call(input).mean([2, 3]);
}
