using static TorchSharp.torch;

namespace Saliency.Tests;

/// <summary>
/// A transformer layer whose output is tokens <c>[B,1+h·w,C]</c> is explained as the grid <c>[B,C,h,w]</c>
/// (pytorch-grad-cam's reshape_transform): Grad-CAM on the token layer equals Grad-CAM on the reshaped tokens
/// computed by hand, and perturbation methods that replace the layer's output get their grids back as tokens.
/// </summary>
public sealed class VisionTransformerTests : IClassFixture<HostFixture>
{
    private static readonly TokenLayout Layout = new(4, 4, PrefixTokens: 1);
    private readonly SaliencyHost _host;

    public VisionTransformerTests(HostFixture fixture) => _host = fixture.Host;

    [Fact]
    public void Grad_cam_on_a_token_layer_equals_grad_cam_on_the_tokens_reshaped_by_hand()
    {
        using var vit = new TinyVit();
        var tokens = ExplainableModule.Create(vit, ["blocks.0"], tokenLayout: Layout);
        var plain = ExplainableModule.Create(vit, ["blocks.0"]);
        using var generator = new Generator(3);
        using var input = randn([2, 3, 16, 16], generator: generator);

        using var result = _host.Explain(tokens, input, new ExplainRequest("grad-cam"));
        using var capture = SaliencyEngine.Capture(plain, input, "blocks.0", [.. result.Targets.data<long>()]);

        capture.Activations.shape.Should().Equal([2, 17, 8], "the layer outputs a class token and 16 patch tokens");
        using var grid = capture.Activations.narrow(1, 1, 16).reshape(2, 4, 4, 8).permute(0, 3, 1, 2);
        using var gradients = capture.Gradients!.narrow(1, 1, 16).reshape(2, 4, 4, 8).permute(0, 3, 1, 2);
        using var expected = (gradients.mean([2, 3], keepdim: true) * grid).sum([1]).relu();
        result.Raw.shape.Should().Equal([2, 4, 4]);
        result.Raw.allclose(expected, 1e-6, 1e-9).Should().BeTrue();
        result.Map.shape.Should().Equal([2, 16, 16]);
    }

    [Fact]
    public void Ablation_cam_replaces_token_layers_output_through_the_grid_and_matches_its_rule()
    {
        using var vit = new TinyVit();
        var tokens = ExplainableModule.Create(vit, ["blocks.0"], tokenLayout: Layout);
        using var generator = new Generator(5);
        using var input = randn([1, 3, 16, 16], generator: generator);

        using var result = _host.Explain(tokens, input, new ExplainRequest("ablation-cam") { Targets = [2] });

        // By hand, pytorch-grad-cam's rule: ablate one channel of the patch tokens (the class token kept) with the
        // activation's minimum − 1e7 (it is not 0 here: no ReLU), run the model, and weight (y − y_k)/y.
        using var capture = SaliencyEngine.Capture(ExplainableModule.Create(vit, ["blocks.0"]), input, "blocks.0", [2], gradients: false);
        var y = capture.Logits[0, 2].item<float>();
        var a = Layout.ToGrid(capture.Activations);
        var value = a.min().item<float>() - 1e7f;
        var weights = new float[8];
        for (var k = 0; k < 8; k++)
        {
            var channel = k;
            using var hook = tokens.RegisterForwardHook("blocks.0", (_, _, output) =>
            {
                var ablated = output.clone();
                ablated[.., 1.., channel] = tensor(value);
                return ablated;
            });
            using var noGrad = no_grad();
            weights[k] = (y - vit.call(input)[0, 2].item<float>()) / y;
        }

        using var expected = (tensor(weights).reshape(1, 8, 1, 1) * a).sum([1]).relu();
        result.Raw.allclose(expected, 1e-5, 1e-7).Should().BeTrue();
    }

    /// <summary>
    /// Patch embedding (4×4 patches of a 16×16 image, 8 channels) with a class token and positions, two token blocks
    /// that mix tokens (a residual MLP plus the tokens' mean), and a head on the class token.
    /// </summary>
    private sealed class TinyVit : nn.Module<Tensor, Tensor>
    {
        private readonly nn.Module<Tensor, Tensor> patches;
        private readonly nn.Module<Tensor, Tensor> blocks;
        private readonly nn.Module<Tensor, Tensor> head;
        private readonly TorchSharp.Modules.Parameter classToken;
        private readonly TorchSharp.Modules.Parameter positions;

        public TinyVit() : base(nameof(TinyVit))
        {
            patches = nn.Conv2d(3, 8, 4, stride: 4);
            blocks = nn.Sequential(new TokenBlock(), new TokenBlock());
            head = nn.Linear(8, 5);
            classToken = new TorchSharp.Modules.Parameter(zeros(1, 1, 8));
            positions = new TorchSharp.Modules.Parameter(zeros(1, 17, 8));
            RegisterComponents();
            using var noGrad = no_grad();
            using var generator = new Generator(21);
            foreach (var parameter in parameters())
            {
                parameter.copy_(randn(parameter.shape, generator: generator) * 0.3);
            }
        }

        public override Tensor forward(Tensor input)
        {
            var tokens = patches.call(input).flatten(2).transpose(1, 2);
            tokens = cat([classToken.expand(input.shape[0], 1, 8), tokens], 1) + positions;
            return head.call(blocks.call(tokens).select(1, 0));
        }
    }

    /// <summary>x + MLP(x) + mean over tokens: enough token mixing for the class token to see the patches.</summary>
    private sealed class TokenBlock : nn.Module<Tensor, Tensor>
    {
        private readonly nn.Module<Tensor, Tensor> up;
        private readonly nn.Module<Tensor, Tensor> down;

        public TokenBlock() : base(nameof(TokenBlock))
        {
            up = nn.Linear(8, 16);
            down = nn.Linear(16, 8);
            RegisterComponents();
        }

        public override Tensor forward(Tensor tokens) => tokens + down.call(up.call(tokens).relu()) + tokens.mean([1], keepdim: true);
    }
}
