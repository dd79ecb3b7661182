using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Saliency.Tests;

/// <summary>Conv1x1(1→3) → [in-place op] → global average pooling → Linear(3→2), with fixed weights.</summary>
internal sealed class GapLinearNet : Module<Tensor, Tensor>
{
    private readonly Conv2d features;
    private readonly Linear fc;

    public GapLinearNet(string afterLayer = "none", bool useForward = false) : base(nameof(GapLinearNet))
    {
        features = Conv2d(1, 3, 1);
        fc = Linear(3, 2);
        RegisterComponents();
        AfterLayer = afterLayer;
        UseForward = useForward;
        using var _ = no_grad();
        features.weight!.copy_(tensor(new float[] { 1f, -2f, 0.5f }).reshape(3, 1, 1, 1));
        features.bias!.copy_(tensor(new float[] { 0.1f, 0.2f, -0.3f }));
        fc.weight!.copy_(tensor(new float[] { 1f, 2f, 3f, -1f, 0.5f, 4f }).reshape(2, 3));
        fc.bias!.copy_(tensor(new float[] { 0.25f, -0.5f }));
    }

    public string AfterLayer { get; }

    public bool UseForward { get; }

    public bool ThrowAfterLayer { get; set; }

    public Conv2d Features => features;

    public Linear Fc => fc;

    public override Tensor forward(Tensor input)
    {
        var a = UseForward ? features.forward(input) : features.call(input);
        if (ThrowAfterLayer)
        {
            throw new InvalidOperationException("boom");
        }

        a = AfterLayer switch
        {
            "relu_" => a.relu_(),
            "add_" => a.add_(1.0),
            _ => a,
        };
        return fc.call(a.mean([2, 3]));
    }

    /// <summary>The activation computed by hand: w_k·x + b_k.</summary>
    public static Tensor ExpectedActivation(Tensor x)
    {
        var w = tensor(new float[] { 1f, -2f, 0.5f }).reshape(1, 3, 1, 1);
        var b = tensor(new float[] { 0.1f, 0.2f, -0.3f }).reshape(1, 3, 1, 1);
        return x * w + b;
    }
}

/// <summary>Flatten → Linear(4→3) → ReLU → Linear(3→2), small enough to differentiate by hand.</summary>
internal sealed class TwoLayerReluNet : Module<Tensor, Tensor>
{
    private readonly Flatten flatten;
    private readonly Linear fc1;
    private readonly ReLU relu;
    private readonly Linear fc2;

    public TwoLayerReluNet() : base(nameof(TwoLayerReluNet))
    {
        flatten = Flatten();
        fc1 = Linear(4, 3);
        relu = ReLU();
        fc2 = Linear(3, 2);
        RegisterComponents();
        using var _ = no_grad();
        fc1.weight!.copy_(tensor(new float[] { 1f, -1f, 0.5f, 2f, -0.5f, 1f, -2f, 0.25f, 0.3f, 0.2f, 0.1f, -1f }).reshape(3, 4));
        fc1.bias!.copy_(tensor(new float[] { 0f, 0.1f, -0.1f }));
        fc2.weight!.copy_(tensor(new float[] { 1f, -2f, 0.5f, -1f, 1f, 3f }).reshape(2, 3));
        fc2.bias!.copy_(tensor(new float[] { 0f, 0f }));
    }

    public Linear Fc1 => fc1;

    public Linear Fc2 => fc2;

    public override Tensor forward(Tensor input) => fc2.call(relu.call(fc1.call(flatten.call(input))));
}

/// <summary>Two residual-style blocks: one ends in a ReLU module, the other in a functional relu_() (like TorchVision's ResNet).</summary>
internal sealed class ResidualBlock : Module<Tensor, Tensor>
{
    private readonly Conv2d conv;
    private readonly ReLU? relu;

    public ResidualBlock(int channels, bool functionalRelu) : base(nameof(ResidualBlock))
    {
        conv = Conv2d(channels, channels, 3, padding: 1);
        relu = functionalRelu ? null : ReLU();
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        var x = conv.call(input).add_(input);
        return relu is null ? x.relu_() : relu.call(x);
    }
}

/// <summary>Conv stem, two residual blocks, GAP and Linear; the blocks end in functional or module ReLUs.</summary>
internal sealed class TinyResNet : Module<Tensor, Tensor>
{
    private readonly Conv2d stem;
    private readonly ReLU relu;
    private readonly Sequential blocks;
    private readonly Linear fc;

    public TinyResNet(bool functionalRelu) : base(nameof(TinyResNet))
    {
        stem = Conv2d(3, 4, 3, padding: 1);
        relu = ReLU();
        blocks = Sequential(new ResidualBlock(4, functionalRelu), new ResidualBlock(4, functionalRelu));
        fc = Linear(4, 5);
        RegisterComponents();
    }

    public override Tensor forward(Tensor input) => fc.call(blocks.call(relu.call(stem.call(input))).mean([2, 3]));
}

/// <summary>Conv → ReLU module → scale by 2 (in place or not) → GAP → Linear.</summary>
internal sealed class ScaledReluNet : Module<Tensor, Tensor>
{
    private readonly Conv2d conv;
    private readonly ReLU relu;
    private readonly Linear fc;

    public ScaledReluNet(bool inPlace) : base(nameof(ScaledReluNet))
    {
        conv = Conv2d(3, 4, 3, padding: 1);
        relu = ReLU();
        fc = Linear(4, 3);
        RegisterComponents();
        InPlace = inPlace;
    }

    public bool InPlace { get; }

    public override Tensor forward(Tensor input)
    {
        var x = relu.call(conv.call(input));
        x = InPlace ? x.mul_(2.0) : x * 2.0;
        return fc.call(x.mean([2, 3]));
    }
}
