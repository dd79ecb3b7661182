using static TorchSharp.torch;

namespace Saliency.Tests;

public sealed class InputErrorTests : IDisposable
{
    private readonly GapLinearNet _net = new();
    private readonly IExplainable _model;

    public InputErrorTests() => _model = ExplainableModule.Create(_net, ["features"], "fc");

    public void Dispose() => _net.Dispose();

    [Fact]
    public void A_single_image_without_batch_dimension_is_refused_with_the_fix()
    {
        using var x = randn(1, 4, 4);
        var act = () => SaliencyEngine.Capture(_model, x);
        act.Should().Throw<ArgumentException>().WithMessage("*batch [B,C,H,W]*3-D tensor [1,4,4]*unsqueeze(0)*");
    }

    [Fact]
    public void A_wrong_channel_count_names_both_counts()
    {
        using var x = randn(2, 3, 4, 4);
        var act = () => SaliencyEngine.Capture(_model, x);
        act.Should().Throw<ArgumentException>().WithMessage("*3 channel(s) [2,3,4,4] but GapLinearNet expects 1*");
    }

    [Fact]
    public void Nan_or_infinite_input_is_refused()
    {
        using var x = randn(2, 1, 4, 4);
        x[0, 0, 1, 1] = tensor(float.NaN);
        x[1, 0, 2, 2] = tensor(float.PositiveInfinity);
        var act = () => SaliencyEngine.Capture(_model, x);
        act.Should().Throw<ArgumentException>().WithMessage("*2 NaN or infinite*");
    }

    [Fact]
    public void Integer_input_is_refused()
    {
        using var x = ones(2, 1, 4, 4, dtype: ScalarType.Int64);
        var act = () => SaliencyEngine.Capture(_model, x);
        act.Should().Throw<ArgumentException>().WithMessage("*floating-point*Int64*");
    }

    [Fact]
    public void A_target_outside_the_classes_is_refused()
    {
        using var x = randn(2, 1, 4, 4);
        var act = () => SaliencyEngine.Capture(_model, x, targets: [0, 2]);
        act.Should().Throw<ArgumentOutOfRangeException>().WithMessage("*Target 2 of item 1 is outside [0, 2)*");
    }

    [Fact]
    public void A_target_count_other_than_the_batch_is_refused()
    {
        using var x = randn(2, 1, 4, 4);
        var act = () => SaliencyEngine.Capture(_model, x, targets: [0]);
        act.Should().Throw<ArgumentException>().WithMessage("*1 target(s) for a batch of 2*");
    }

    [Fact]
    public void An_unknown_layer_lists_the_valid_names_and_suggests_the_nearest()
    {
        using var x = randn(2, 1, 4, 4);
        var act = () => SaliencyEngine.Capture(_model, x, layer: "featurs");
        var error = act.Should().Throw<UnknownLayerException>().Which;
        error.Suggestion.Should().Be("features");
        error.ValidNames.Should().Contain(["features", "fc"]);
        error.Message.Should().Contain("Did you mean 'features'?");
    }

    [Fact]
    public void A_layer_invoked_with_forward_instead_of_call_is_explained()
    {
        using var net = new GapLinearNet(useForward: true);
        var model = ExplainableModule.Create(net, ["features"], "fc");
        using var x = randn(2, 1, 4, 4);
        var act = () => SaliencyEngine.Capture(model, x);
        act.Should().Throw<SaliencyException>().WithMessage("*did not run*features.call(x), not features.forward(x)*");
    }

    [Fact]
    public void A_layer_off_the_path_to_the_logits_is_explained_instead_of_aborting()
    {
        // The side layer runs, but its output is discarded, so it cannot influence the logits.
        var model = ExplainableModule.Create(new SideBranchNet(), ["side"]);
        using var x = randn(2, 1, 2, 2);
        var act = () => SaliencyEngine.Capture(model, x);
        act.Should().Throw<SaliencyException>().WithMessage("*do not depend on layer 'side'*");
    }

    private sealed class SideBranchNet : nn.Module<Tensor, Tensor>
    {
        private readonly nn.Module<Tensor, Tensor> side = nn.Flatten();
        private readonly nn.Module<Tensor, Tensor> fc = nn.Linear(4, 2);

        public SideBranchNet() : base(nameof(SideBranchNet)) => RegisterComponents();

        public override Tensor forward(Tensor input)
        {
            _ = side.call(input);
            return fc.call(input.flatten(1));
        }
    }
}
