using FluentAssertions;
using Saliency.Generators.Tests.Infrastructure;

namespace Saliency.Generators.Tests;

public sealed class GeneratorOutputTests
{
    /// <summary>The second half of <see cref="ModelSources.SplitLayers"/>: one more layer, the default, in a third file.</summary>
    private const string SplitDefaultLayer = ModelSources.Usings + """
        namespace Demo;

        public sealed partial class SplitNet
        {
            [ExplainLayer(IsDefault = true)] private readonly Conv2d head = nn.Conv2d(8, 8, 1);
        }
        """;

    /// <summary>
    /// The models whose whole generated source is stored in <c>Snapshots/{Name}.verified.txt</c>, each for what it shows:
    /// <list type="bullet">
    /// <item><c>SmallNet</c>: a default and a named layer, a <c>[ClassifierHead]</c>, functional ReLUs in forward.</item>
    /// <item><c>NamedNet</c>: explicit and dotted names, names that clash as constants, a keyword member, two declarators.</item>
    /// <item><c>PropertyNet</c>: a layer and a head declared as properties.</item>
    /// <item><c>NestedInner</c>: a class nested in a class and a struct, every containing type repeated as partial; no head.</item>
    /// <item><c>GenericBackbone</c>: a generic model, its type parameter as a layer type.</item>
    /// <item><c>GlobalNet</c>: a model in the global namespace, no namespace block.</item>
    /// <item><c>SplitNet</c>: one model in three files, layers in declaration order, forward (with a functional ReLU) in another file.</item>
    /// <item><c>TokenNet</c>: token layers declared with <c>TokenGridHeight</c>/<c>TokenGridWidth</c>/<c>PrefixTokens</c>, and <c>GetTokenLayout</c>.</item>
    /// </list>
    /// </summary>
    private static readonly SnapshotCase[] SnapshotCases =
    [
        new("SmallNet", "Demo.SmallNet.ExplainLayers.g.cs", [ModelSources.SmallNet]),
        new("NamedNet", "Demo.NamedNet.ExplainLayers.g.cs", [ModelSources.Names]),
        new("PropertyNet", "Demo.PropertyNet.ExplainLayers.g.cs", [ModelSources.Property]),
        new("NestedInner", "Demo.Zoo.Models.Holder.Inner.ExplainLayers.g.cs", [ModelSources.Nested]),
        new("GenericBackbone", "Demo.Backbone`1.ExplainLayers.g.cs", [ModelSources.Generic]),
        new("GlobalNet", "GlobalNet.ExplainLayers.g.cs", [ModelSources.GlobalNamespace]),
        new("SplitNet", "Demo.SplitNet.ExplainLayers.g.cs", [ModelSources.SplitLayers, ModelSources.SplitForward, SplitDefaultLayer]),
        new("TokenNet", "Demo.TokenNet.ExplainLayers.g.cs", [ModelSources.Tokens]),
    ];

    public static TheoryData<string> Snapshots
    {
        get
        {
            var data = new TheoryData<string>();
            foreach (var snapshot in SnapshotCases)
            {
                data.Add(snapshot.Name);
            }

            return data;
        }
    }

    /// <summary>The whole generated file, compared with its stored snapshot (see <see cref="Snapshot"/> to update them).</summary>
    [Theory]
    [MemberData(nameof(Snapshots))]
    public void Generated_source_matches_its_stored_snapshot(string name)
    {
        var snapshot = SnapshotCases.Single(c => c.Name == name);

        var result = Harness.Generate(snapshot.Sources);

        result.GeneratorDiagnostics.Should().BeEmpty();
        result.CompilationDiagnostics.Should().BeEmpty("the generated code compiles without any diagnostic, warnings included");
        var source = result.SingleSource;
        source.HintName.Should().Be(snapshot.HintName);
        Snapshot.Match(name, source.SourceText.ToString());
    }

    [Fact]
    public void Every_stored_snapshot_has_a_case()
    {
        var stored = Directory.GetFiles(Snapshot.Folder, "*" + Snapshot.VerifiedExtension)
            .Select(static path => Path.GetFileName(path)[..^Snapshot.VerifiedExtension.Length]);

        stored.Should().BeEquivalentTo(SnapshotCases.Select(static c => c.Name), "a snapshot without a case is never compared");
    }

    [Fact]
    public void Output_is_deterministic_and_has_no_trailing_whitespace()
    {
        var first = Harness.Generate(ModelSources.SmallNet).SingleSource.SourceText.ToString();
        var second = Harness.Generate(ModelSources.SmallNet).SingleSource.SourceText.ToString();

        second.Should().Be(first);
        first.Split('\n').Should().NotContain(line => line.EndsWith(' ') || line.Contains('\r') || line.Contains('\t'));
    }

    public static TheoryData<string, string, string> Variants => new()
    {
        { "nested", ModelSources.Nested, "Demo.Zoo.Models.Holder.Inner.ExplainLayers.g.cs" },
        { "generic", ModelSources.Generic, "Demo.Backbone`1.ExplainLayers.g.cs" },
        { "file-scoped namespace", ModelSources.FileScoped, "Demo.FileScoped.Tiny.ExplainLayers.g.cs" },
        { "global namespace", ModelSources.GlobalNamespace, "GlobalNet.ExplainLayers.g.cs" },
        { "property", ModelSources.Property, "Demo.PropertyNet.ExplainLayers.g.cs" },
        { "explicit names", ModelSources.Names, "Demo.NamedNet.ExplainLayers.g.cs" },
        { "clean", ModelSources.CleanNet, "Demo.CleanNet.ExplainLayers.g.cs" },
        { "token layers", ModelSources.Tokens, "Demo.TokenNet.ExplainLayers.g.cs" },
    };

    [Theory]
    [MemberData(nameof(Variants))]
    public void Every_model_shape_compiles_without_diagnostics(string shape, string model, string hintName)
    {
        var result = Harness.Generate(model);

        result.GeneratorDiagnostics.Should().BeEmpty();
        result.SingleSource.HintName.Should().Be(hintName, shape);
        result.CompilationDiagnostics.Should().BeEmpty("the {0} model and its generated part compile cleanly", shape);
    }

    [Fact]
    public void GetLayer_and_RegisterForwardHook_switch_over_every_annotated_name()
    {
        var text = Harness.Generate(ModelSources.Names).SingleSource.SourceText.ToString();
        string[] names = ["stage4", "conv_1", "conv1", "block.0", "layers"];

        var getLayer = Section(text, "IExplainable.GetLayer(string name)", "IExplainable.RegisterForwardHook");
        var registerHook = Section(text, "IExplainable.RegisterForwardHook", "IExplainable.ClassifierHead");
        foreach (var name in names)
        {
            getLayer.Should().Contain($"case \"{name}\":");
            registerHook.Should().Contain($"case \"{name}\":");
        }

        CountOf(getLayer, "case \"").Should().Be(names.Length);
        CountOf(registerHook, "case \"").Should().Be(names.Length);
        CountOf(text, "new global::Saliency.ExplainableLayer(").Should().Be(names.Length);
    }

    [Fact]
    public void GetTokenLayout_returns_each_declared_grid_and_null_for_the_other_layers()
    {
        var text = Harness.Generate(ModelSources.Tokens).SingleSource.SourceText.ToString();

        var getTokenLayout = Section(text, "IExplainable.GetTokenLayout(string layer)", "IExplainable.ClassifierHead");
        getTokenLayout.Should().Contain("case \"patches\":\n                    return new global::Saliency.TokenLayout(4, 4, 0);")
            .And.Contain("case \"blocks\":\n                    return new global::Saliency.TokenLayout(4, 4, 1);", "PrefixTokens defaults to one class token")
            .And.Contain("case \"wide\":\n                    return new global::Saliency.TokenLayout(2, 8, 5);", "height comes first whatever the argument order")
            .And.Contain("default:\n                    return null;");
        CountOf(getTokenLayout, "case \"").Should().Be(3, "the stem outputs maps");
    }

    [Fact]
    public void Models_without_token_layers_leave_GetTokenLayout_to_the_interface_default()
    {
        foreach (var model in new[] { ModelSources.SmallNet, ModelSources.Names, ModelSources.Property })
        {
            Harness.Generate(model).SingleSource.SourceText.ToString().Should().NotContain("GetTokenLayout");
        }
    }

    [Fact]
    public void Invalid_models_generate_nothing()
    {
        const string notPartial = ModelSources.Usings + """
            public sealed class Broken : nn.Module<Tensor, Tensor>
            {
                [ExplainLayer] private readonly Conv2d conv = nn.Conv2d(3, 8, 3);

                public Broken() : base(nameof(Broken)) => RegisterComponents();

                public override Tensor forward(Tensor input) => conv.call(input);
            }
            """;

        Harness.Generate(notPartial).Sources.Should().BeEmpty();
    }

    [Fact]
    public void Several_models_get_one_file_each()
    {
        var result = Harness.Generate(ModelSources.SmallNet, ModelSources.Generic, ModelSources.Nested);

        result.Sources.Select(static s => s.HintName).Should().BeEquivalentTo(
            "Demo.SmallNet.ExplainLayers.g.cs", "Demo.Backbone`1.ExplainLayers.g.cs", "Demo.Zoo.Models.Holder.Inner.ExplainLayers.g.cs");
        result.CompilationDiagnostics.Should().BeEmpty();
    }

    private static string Section(string text, string from, string to)
    {
        var start = text.IndexOf(from, StringComparison.Ordinal);
        var end = text.IndexOf(to, start, StringComparison.Ordinal);
        start.Should().BeGreaterThanOrEqualTo(0);
        end.Should().BeGreaterThan(start);
        return text[start..end];
    }

    private static int CountOf(string text, string value)
    {
        var count = 0;
        for (var i = text.IndexOf(value, StringComparison.Ordinal); i >= 0; i = text.IndexOf(value, i + value.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }

    /// <summary>One snapshot: its name, the generated file's hint name and the model's source files.</summary>
    /// <param name="Name">The snapshot's name, <c>Snapshots/{Name}.verified.txt</c>.</param>
    /// <param name="HintName">The name the generator gives the file.</param>
    /// <param name="Sources">The model's source files.</param>
    private sealed record SnapshotCase(string Name, string HintName, string[] Sources);
}
