using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Saliency.Tests;

/// <summary>The generator's output at run time: layer selection, dotted paths and hooks on an annotated model.</summary>
public sealed partial class AnnotatedModelTests
{
    [Fact]
    public void The_generated_view_lists_the_layers_the_default_and_the_head()
    {
        using var net = new SmallNet();
        IExplainable model = net;

        model.Module.Should().BeSameAs(net);
        model.Layers.Select(l => (l.Name, l.ModuleType, l.IsDefault)).Should().Equal(
            ("features", typeof(Sequential), true),
            ("block", typeof(Conv2d), false));
        model.DefaultLayer.Should().Be(SmallNet.Layers.Features);
        SmallNet.Layers.Block.Should().Be("block");
        model.ClassifierHead.Should().BeSameAs(net.Head);
        model.UnguidableRelus.Should().BeEmpty();
    }

    [Fact]
    public void Annotated_names_and_dotted_module_paths_resolve_and_unknown_names_get_a_suggestion()
    {
        using var net = new SmallNet();
        IExplainable model = net;

        model.GetLayer("block").Should().BeSameAs(net.Block);
        model.GetLayer("features.1").Should().BeOfType<ReLU>();
        var act = () => model.GetLayer("feature");
        act.Should().Throw<UnknownLayerException>().Which.Suggestion.Should().Be("features");
    }

    [Fact]
    public void A_generated_hook_fires_through_call_and_disposing_it_removes_it()
    {
        using var net = new SmallNet();
        IExplainable model = net;
        using var x = randn(1, 3, 8, 8);
        var calls = 0;

        using (model.RegisterForwardHook("block", (_, _, _) =>
        {
            calls++;
            return null;
        }))
        {
            using var first = net.call(x);
        }

        using var second = net.call(x);
        calls.Should().Be(1);
    }

    [Fact]
    public void The_engine_explains_an_annotated_model_at_a_named_layer()
    {
        using var net = new SmallNet();
        using var x = randn(2, 3, 8, 8);

        using var capture = SaliencyEngine.Capture(net, x, SmallNet.Layers.Block, targets: [0, 3]);

        capture.Activations.shape.Should().Equal(2, 6, 8, 8);
        capture.Gradients!.shape.Should().Equal(2, 6, 8, 8);
        // block → GAP → head: the gradient is the target's head row over the area, everywhere.
        using var expected = net.Head.weight!.index_select(0, tensor(new long[] { 0, 3 })).reshape(2, 6, 1, 1).expand(2, 6, 8, 8) / 64.0;
        TensorAssert.Close(capture.Gradients, expected, 1e-7);
    }

    /// <summary>Conv stem in a Sequential, a second conv, GAP, Linear.</summary>
    private sealed partial class SmallNet : Module<Tensor, Tensor>
    {
        [ExplainLayer(IsDefault = true)]
        private readonly Sequential features;

        [ExplainLayer("block")]
        private readonly Conv2d conv;

        [ClassifierHead]
        private readonly Linear fc;

        public SmallNet() : base(nameof(SmallNet))
        {
            features = Sequential(Conv2d(3, 4, 3, padding: 1), ReLU());
            conv = Conv2d(4, 6, 3, padding: 1);
            fc = Linear(6, 5);
            RegisterComponents();
        }

        public Conv2d Block => conv;

        public Linear Head => fc;

        public override Tensor forward(Tensor input) => fc.call(conv.call(features.call(input)).mean([2, 3]));
    }
}
