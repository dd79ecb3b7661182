using static TorchSharp.torch;

namespace Saliency.Tests;

/// <summary>
/// A vision transformer that declares its token grids on <c>[ExplainLayer]</c>, as users of the source generator do:
/// Grad-CAM through the generated <c>GetTokenLayout</c> equals Grad-CAM through
/// <c>ExplainableModule.Create(..., tokenLayout: ...)</c> and Grad-CAM on the tokens reshaped by hand, for a layer with
/// a class token and for one without.
/// </summary>
public sealed partial class AnnotatedVisionTransformerTests : IClassFixture<HostFixture>
{
    private readonly SaliencyHost _host;

    public AnnotatedVisionTransformerTests(HostFixture fixture) => _host = fixture.Host;

    public static TheoryData<string, string, int> TokenLayers => new()
    {
        // layer name, module path (for the adapter), prefix tokens
        { AnnotatedTinyVit.Layers.Block1, "block1", 1 },
        { AnnotatedTinyVit.Layers.Patches, "embed", 0 },
    };

    [Fact]
    public void The_generated_adapter_returns_the_declared_layout_per_layer_and_null_for_other_names()
    {
        using var vit = new AnnotatedTinyVit();
        IExplainable model = vit;

        model.GetTokenLayout("block1").Should().Be(new TokenLayout(4, 4, PrefixTokens: 1));
        model.GetTokenLayout("patches").Should().Be(new TokenLayout(4, 4, PrefixTokens: 0));
        model.GetTokenLayout("block2").Should().BeNull("block2 is not a declared token layer");
        model.DefaultLayer.Should().Be("block1");
    }

    [Theory]
    [MemberData(nameof(TokenLayers))]
    public void Grad_cam_through_the_attribute_equals_the_adapter_and_the_hand_computation(string layer, string path, int prefixTokens)
    {
        using var vit = new AnnotatedTinyVit();
        var adapter = ExplainableModule.Create(vit, [path], tokenLayout: new TokenLayout(4, 4, prefixTokens));
        var plain = ExplainableModule.Create(vit, [path]);
        using var generator = new Generator(7);
        using var input = randn([2, 3, 16, 16], generator: generator);

        using var declared = _host.Explain(vit, input, new ExplainRequest("grad-cam") { Layer = layer });
        using var given = _host.Explain(adapter, input, new ExplainRequest("grad-cam") { Targets = [.. declared.Targets.data<long>()] });
        using var capture = SaliencyEngine.Capture(plain, input, path, [.. declared.Targets.data<long>()]);

        capture.Activations.shape.Should().Equal([2, prefixTokens + 16, 8]);
        using var grid = capture.Activations.narrow(1, prefixTokens, 16).reshape(2, 4, 4, 8).permute(0, 3, 1, 2);
        using var gradients = capture.Gradients!.narrow(1, prefixTokens, 16).reshape(2, 4, 4, 8).permute(0, 3, 1, 2);
        using var expected = (gradients.mean([2, 3], keepdim: true) * grid).sum([1]).relu();
        expected.abs().max().item<float>().Should().BeGreaterThan(0, "a map of zeros would match anything");
        declared.Raw.shape.Should().Equal([2, 4, 4]);
        declared.Raw.allclose(expected, 1e-5, 1e-7).Should().BeTrue("the engine sums in another order than the hand computation (float32: 6e-8 apart here)");
        declared.Raw.allclose(given.Raw, 0, 0).Should().BeTrue("the attribute and the adapter give the engine the same layout");
        declared.Map.shape.Should().Equal([2, 16, 16]);
        declared.Map.allclose(given.Map, 0, 0).Should().BeTrue();
    }

    /// <summary>
    /// Patch embedding (4×4 patches of a 16×16 image, 8 channels) and a token projection on the 16 patch tokens
    /// (<c>patches</c>: no class token), then a class token and positions, two token-mixing blocks (<c>block1</c>: class
    /// token first; the output of the last block matters only through its class token) and a head on the class token.
    /// </summary>
    private sealed partial class AnnotatedTinyVit : nn.Module<Tensor, Tensor>
    {
        private readonly nn.Module<Tensor, Tensor> patchify;

        [ExplainLayer("patches", TokenGridHeight = 4, TokenGridWidth = 4, PrefixTokens = 0)]
        private readonly nn.Module<Tensor, Tensor> embed;

        [ExplainLayer(IsDefault = true, TokenGridHeight = 4, TokenGridWidth = 4)]
        private readonly nn.Module<Tensor, Tensor> block1;

        private readonly nn.Module<Tensor, Tensor> block2;

        private readonly nn.Module<Tensor, Tensor> head;
        private readonly TorchSharp.Modules.Parameter classToken;
        private readonly TorchSharp.Modules.Parameter positions;

        public AnnotatedTinyVit() : base(nameof(AnnotatedTinyVit))
        {
            patchify = nn.Conv2d(3, 8, 4, stride: 4);
            embed = nn.Linear(8, 8);
            block1 = new MixingBlock();
            block2 = new MixingBlock();
            head = nn.Linear(8, 5);
            classToken = new TorchSharp.Modules.Parameter(zeros(1, 1, 8));
            positions = new TorchSharp.Modules.Parameter(zeros(1, 17, 8));
            RegisterComponents();
            using var noGrad = no_grad();
            using var generator = new Generator(17);
            foreach (var parameter in parameters())
            {
                parameter.copy_(randn(parameter.shape, generator: generator) * 0.3);
            }
        }

        public override Tensor forward(Tensor input)
        {
            var tokens = embed.call(patchify.call(input).flatten(2).transpose(1, 2));
            tokens = cat([classToken.expand(input.shape[0], 1, 8), tokens], 1) + positions;
            return head.call(block2.call(block1.call(tokens)).select(1, 0));
        }
    }

    /// <summary>x + MLP(x) + mean over tokens: the class token sees every patch.</summary>
    private sealed class MixingBlock : nn.Module<Tensor, Tensor>
    {
        private readonly nn.Module<Tensor, Tensor> up;
        private readonly nn.Module<Tensor, Tensor> down;
        private readonly nn.Module<Tensor, Tensor> activation;

        public MixingBlock() : base(nameof(MixingBlock))
        {
            up = nn.Linear(8, 16);
            down = nn.Linear(16, 8);
            activation = nn.GELU();
            RegisterComponents();
        }

        public override Tensor forward(Tensor tokens) => tokens + down.call(activation.call(up.call(tokens))) + tokens.mean([1], keepdim: true);
    }
}
