namespace Saliency.Tests;

/// <summary>Every built-in method against the Python references, for both cases and both target sets.</summary>
public sealed class ReferenceConformanceTests : IClassFixture<HostFixture>
{
    private readonly SaliencyHost _host;

    public ReferenceConformanceTests(HostFixture fixture) => _host = fixture.Host;

    public static TheoryData<string, bool> Cases => new()
    {
        { "gapnet", false }, { "gapnet", true }, { "vggmini", false }, { "vggmini", true },
    };

    [Fact]
    public void The_four_built_in_methods_load_as_plugins_from_the_default_plugin_folder()
    {
        _host.Methods.Select(m => m.Id).Should().Contain(["cam", "grad-cam", "guided-backprop", "guided-grad-cam", "layer-cam"]);
        _host.Plugins.Should().Contain(p => p.Name == "Saliency.Methods.GradCam" && p.Status == PluginStatus.Loaded && p.Path.StartsWith(SaliencyHost.DefaultPluginDirectory));
        _host.Plugins.Should().OnlyContain(p => p.Sha256 != null && p.Sha256.Length == 64);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Grad_cam_matches_captum_pytorch_grad_cam_and_torchcam(string name, bool @explicit)
    {
        using var reference = ReferenceCase.Load(name);
        using var model = Models.Load(reference);
        using var result = Explain(reference, model, "grad-cam", @explicit);

        var suffix = @explicit ? "@explicit" : string.Empty;
        reference.AssertClose($"captum.layer_grad_cam.raw{suffix}", result.Raw);
        reference.AssertClose($"torchcam.gradcam.raw{suffix}", result.Raw);
        using var pgcRaw = reference.Expected($"gradcam.raw{suffix}").relu();
        TensorAssert.Close(result.Raw, pgcRaw, 1e-4 * reference.Peak($"gradcam.raw{suffix}"));
        reference.AssertClose($"gradcam.map{suffix}", result.Map);
        result.Layer.Should().Be("features");
        result.Targets.data<long>().ToArray().Should().Equal(reference.Targets(@explicit));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Guided_backprop_matches_pytorch_grad_cam_and_captum(string name, bool @explicit)
    {
        using var reference = ReferenceCase.Load(name);
        using var model = Models.Load(reference);
        using var result = Explain(reference, model, "guided-backprop", @explicit);

        var suffix = @explicit ? "@explicit" : string.Empty;
        reference.AssertClose($"guided_backprop.raw{suffix}", result.Raw);
        reference.AssertClose($"captum.guided_backprop.raw{suffix}", result.Raw);
        result.Layer.Should().BeNull("guided backprop explains the input, not a layer");
        result.Warnings.Should().NotContain(w => w.Contains("ReLU", StringComparison.Ordinal), "every ReLU of the reference models is a module");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Guided_grad_cam_is_guided_backprop_times_the_grad_cam_map(string name, bool @explicit)
    {
        using var reference = ReferenceCase.Load(name);
        using var model = Models.Load(reference);
        using var result = Explain(reference, model, "guided-grad-cam", @explicit);

        var suffix = @explicit ? "@explicit" : string.Empty;
        using var expected = reference.Expected($"guided_backprop.raw{suffix}") * reference.Expected($"gradcam.map{suffix}").unsqueeze(1);
        using var peak = expected.abs().max();
        TensorAssert.Close(result.Raw, expected, 1e-4 * peak.item<float>());
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Guided_grad_cam_with_nearest_upsampling_matches_captum(string name, bool @explicit)
    {
        using var reference = ReferenceCase.Load(name);
        using var model = Models.Load(reference);
        var options = new Dictionary<string, string> { ["upsample"] = "nearest" };
        using var result = Explain(reference, model, "guided-grad-cam", @explicit, options);

        reference.AssertClose($"captum.guided_grad_cam.raw{(@explicit ? "@explicit" : string.Empty)}", result.Raw);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Layer_cam_matches_pytorch_grad_cam_and_torchcam(string name, bool @explicit)
    {
        using var reference = ReferenceCase.Load(name);
        using var model = Models.Load(reference);
        using var result = Explain(reference, model, "layer-cam", @explicit);

        var suffix = @explicit ? "@explicit" : string.Empty;
        reference.AssertClose($"torchcam.layercam.raw{suffix}", result.Raw);
        reference.AssertClose($"layercam.map{suffix}", result.Map);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Cam_matches_plain_pytorch_and_torchcam_on_gapnet(bool @explicit)
    {
        using var reference = ReferenceCase.Load("gapnet");
        using var model = Models.Load(reference);
        using var result = Explain(reference, model, "cam", @explicit);

        var suffix = @explicit ? "@explicit" : string.Empty;
        reference.AssertClose($"cam.raw{suffix}", result.Raw);
        reference.AssertClose($"torchcam.cam.raw{suffix}", result.Raw);
        reference.AssertClose($"cam.map{suffix}", result.Map);
    }

    [Fact]
    public void Cam_refuses_vggmini_and_suggests_grad_cam()
    {
        using var reference = ReferenceCase.Load("vggmini");
        using var model = Models.Load(reference);
        var act = () => Explain(reference, model, "cam", @explicit: false);
        act.Should().Throw<SaliencyException>().WithMessage("*has no classifier head*grad-cam*");
    }

    [Fact]
    public void Cam_refuses_a_head_that_is_not_fed_by_global_average_pooling()
    {
        // vggmini's last Linear has 64 inputs, like the 64 channels of 'features', but it is fed by Flatten→Linear→ReLU.
        using var reference = ReferenceCase.Load("vggmini");
        using var net = VggMini.Load(reference.ModelPath);
        var model = ExplainableModule.Create(net, ["features"], classifierHead: "classifier.3");
        var act = () => _host.Explain(model, reference.Input, new ExplainRequest("cam"));
        act.Should().Throw<SaliencyException>().WithMessage("*not its classifier head applied to the global average of layer 'features'*grad-cam*");
    }

    [Fact]
    public void All_methods_of_one_request_share_one_forward_pass_and_agree_with_single_requests()
    {
        using var reference = ReferenceCase.Load("gapnet");
        using var model = Models.Load(reference);
        var targets = reference.Targets(@explicit: true);
        string[] methods = ["cam", "grad-cam", "guided-backprop", "guided-grad-cam"];

        var forwards = 0;
        using var counter = ExplainableSupport.RegisterForwardHook(((GapNet)model.Net).Fc, (_, _, _) =>
        {
            forwards++;
            return null;
        });
        var together = _host.Explain(model, reference.Input, [.. methods.Select(m => new ExplainRequest(m) { Targets = targets })]);
        var countTogether = forwards;
        try
        {
            countTogether.Should().Be(1, "one forward serves every method at the same layer");
            foreach (var (method, index) in methods.Select((m, i) => (m, i)))
            {
                using var alone = _host.Explain(model, reference.Input, new ExplainRequest(method) { Targets = targets });
                TensorAssert.Close(together[index].Raw, alone.Raw, 0);
                TensorAssert.Close(together[index].Map, alone.Map, 0);
            }
        }
        finally
        {
            foreach (var result in together)
            {
                result.Dispose();
            }
        }
    }

    private SaliencyResult Explain(ReferenceCase reference, IExplainable model, string method, bool @explicit, Dictionary<string, string>? options = null) =>
        _host.Explain(model, reference.Input, new ExplainRequest(method)
        {
            Targets = reference.Targets(@explicit),
            Options = options ?? [],
        });
}
