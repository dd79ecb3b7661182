using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Saliency.Generators.Tests.SampleModels;

/// <summary>Compiled by the real generator during the build (the project references it as an analyzer).</summary>
public sealed partial class SampleNet : nn.Module<Tensor, Tensor>
{
    [ExplainLayer(IsDefault = true)] private readonly Sequential features;
    [ExplainLayer("block")] private readonly Conv2d conv;
    [ClassifierHead] private readonly Linear fc;

    public SampleNet()
        : base(nameof(SampleNet))
    {
        features = nn.Sequential(nn.Conv2d(3, 8, 3), nn.ReLU());
        conv = nn.Conv2d(8, 8, 3);
        fc = nn.Linear(8, 10);
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        var x = conv.call(features.call(input));
#pragma warning disable SAL008 // The functional ReLU is here on purpose: UnguidableRelus lists it.
        return fc.call(nn.functional.relu(x).mean([2L, 3L]));
#pragma warning restore SAL008
    }
}
