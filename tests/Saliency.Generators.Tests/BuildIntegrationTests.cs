using System.CodeDom.Compiler;
using System.Reflection;
using FluentAssertions;
using Saliency.Generators.Tests.SampleModels;
using TorchSharp.Modules;

namespace Saliency.Generators.Tests;

/// <summary>
/// SampleNet is compiled by the generator under the SDK's own compiler during the build: proof that the
/// generator, built against Microsoft.CodeAnalysis 4.14, loads and runs there. No TorchSharp native code runs.
/// </summary>
public sealed class BuildIntegrationTests
{
    [Fact]
    public void The_build_generates_IExplainable_for_annotated_models()
    {
        typeof(SampleNet).Should().Implement<IExplainable>();
        SampleNet.Layers.Features.Should().Be("features");
        SampleNet.Layers.Block.Should().Be("block");
    }

    [Fact]
    public void The_generated_members_carry_GeneratedCode_with_the_generator_version()
    {
        var attribute = typeof(SampleNet.Layers).GetCustomAttribute<GeneratedCodeAttribute>();

        attribute.Should().NotBeNull();
        attribute!.Tool.Should().Be("Saliency.Generators");
        attribute.Version.Should().Be(typeof(ExplainLayerGenerator).Assembly.GetName().Version!.ToString());
    }

    [Fact]
    public void The_layer_table_lists_the_layers_in_declaration_order()
    {
        var table = typeof(SampleNet).GetField("__saliencyLayers", BindingFlags.NonPublic | BindingFlags.Static)!.GetValue(null);

        table.Should().BeEquivalentTo(new[]
        {
            new ExplainableLayer("features", typeof(Sequential), IsDefault: true),
            new ExplainableLayer("block", typeof(Conv2d), IsDefault: false),
        });
    }
}
