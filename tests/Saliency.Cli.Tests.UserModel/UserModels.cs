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
