using FluentAssertions;
using Microsoft.CodeAnalysis;
using Saliency.Generators.Tests.Infrastructure;

namespace Saliency.Generators.Tests;

/// <summary>
/// Each SAL rule on a minimal model, at the place marked with <c>[|…|]</c>, and nothing else; the generator
/// skips exactly the models the analyzer reports an error for.
/// </summary>
public sealed class AnalyzerTests
{
    private const string Conv = "nn.Conv2d(3, 8, 3)";

    public static TheoryData<string, string, bool> Rules => new()
    {
        {
            "SAL001", Net($"[ExplainLayer] private readonly Conv2d conv = {Conv};", declaration: "public sealed class [|Net|] : nn.Module<Tensor, Tensor>"),
            false
        },
        {
            "SAL001", ModelSources.Usings + $$"""
                public static class [|Outer|]
                {
                    public sealed partial class Inner : nn.Module<Tensor, Tensor>
                    {
                        [ExplainLayer] private readonly Conv2d conv = {{Conv}};

                        public Inner() : base(nameof(Inner)) => RegisterComponents();

                        public override Tensor forward(Tensor input) => conv.call(input);
                    }
                }
                """,
            false
        },
        {
            "SAL002", ModelSources.Usings + $$"""
                public sealed partial class [|Holder|]
                {
                    [ExplainLayer] private readonly Conv2d conv = {{Conv}};

                    public Tensor Run(Tensor input) => conv.call(input);
                }
                """,
            false
        },
        {
            "SAL002", ModelSources.Usings + $$"""
                public sealed partial class [|Pairwise|] : nn.Module<Tensor, Tensor, Tensor>
                {
                    [ExplainLayer] private readonly Conv2d conv = {{Conv}};

                    public Pairwise() : base(nameof(Pairwise)) => RegisterComponents();

                    public override Tensor forward(Tensor a, Tensor b) => conv.call(a) + b;
                }
                """,
            false
        },
        { "SAL003", Net("[ExplainLayer] private readonly Tensor [|weights|] = zeros(3);"), false },
        {
            "SAL004", Net($"[ExplainLayer(\"stage\")] private readonly Conv2d a = {Conv};\n[ExplainLayer(\"stage\", IsDefault = true)] private readonly Conv2d [|b|] = {Conv};"),
            false
        },
        {
            "SAL004", Net($"[ExplainLayer(IsDefault = true)] private readonly Conv2d conv = {Conv};\n[ExplainLayer(\"conv\")] private readonly Conv2d [|other|] = {Conv};"),
            false
        },
        {
            "SAL005", Net($"[ExplainLayer(IsDefault = true)] private readonly Conv2d a = {Conv};\n[ExplainLayer(IsDefault = true)] private readonly Conv2d [|b|] = {Conv};"),
            false
        },
        {
            "SAL006", Net($"[ExplainLayer] private readonly Conv2d conv = {Conv};\n[ClassifierHead] private readonly Conv2d [|head|] = {Conv};"),
            false
        },
        {
            "SAL006", Net($"[ExplainLayer] private readonly Conv2d conv = {Conv};\n[ClassifierHead] private readonly int [|head|] = 10;"),
            false
        },
        { "SAL007", Net("[ExplainLayer] private readonly Bilinear [|bilinear|] = nn.Bilinear(4, 4, 2);"), false },
        {
            "SAL007", Net("[ExplainLayer] private readonly ModuleList<nn.Module<Tensor, Tensor>> [|blocks|] = nn.ModuleList<nn.Module<Tensor, Tensor>>();"),
            false
        },
        {
            "SAL010", Net($"[ExplainLayer] private readonly Conv2d conv = {Conv};\n[ClassifierHead] private readonly Linear fc = nn.Linear(8, 2);\n[ClassifierHead] private readonly Linear [|fc2|] = nn.Linear(8, 2);"),
            false
        },
        {
            "SAL011", Net($"[ExplainLayer] private readonly Conv2d a = {Conv};\n[ExplainLayer] private readonly Conv2d b = {Conv};", declaration: "public sealed partial class [|Net|] : nn.Module<Tensor, Tensor>"),
            true
        },
        { "SAL012", Net($"[ExplainLayer] private static readonly Conv2d [|shared|] = {Conv};"), false },
        { "SAL013", Net($"[ExplainLayer] private readonly Conv2d conv = {Conv};\npublic static int [|Layers|] => 1;"), false },
        { "SAL013", Net($"[ExplainLayer] private readonly Conv2d conv = {Conv};\nprivate static readonly object [|__saliencyLayers|] = new();"), false },
        { "SAL014", Net($"[ExplainLayer(\"\")] private readonly Conv2d [|conv|] = {Conv};"), false },
        { "SAL014", Net($"[ExplainLayer(\" \")] private readonly Conv2d [|conv|] = {Conv};"), false },
        { "SAL016", Net($"[ExplainLayer([|TokenGridHeight = 4|])] private readonly Conv2d conv = {Conv};"), false },
        { "SAL016", Net($"[ExplainLayer(\"tokens\", [|TokenGridWidth = 4|], PrefixTokens = 0)] private readonly Conv2d conv = {Conv};"), false },
        { "SAL016", Net($"[ExplainLayer([|PrefixTokens = 0|])] private readonly Conv2d conv = {Conv};"), false },
        { "SAL017", Net($"[ExplainLayer([|TokenGridHeight = 0|], TokenGridWidth = 4)] private readonly Conv2d conv = {Conv};"), false },
        { "SAL017", Net($"[ExplainLayer(TokenGridHeight = 4, [|TokenGridWidth = -2|], [|PrefixTokens = -1|])] private readonly Conv2d conv = {Conv};"), false },
        {
            "SAL015", Net("[ClassifierHead] private readonly Linear fc = nn.Linear(8, 2);", declaration: "public sealed partial class [|Net|] : nn.Module<Tensor, Tensor>"),
            false
        },
    };

    [Theory]
    [MemberData(nameof(Rules))]
    public async Task Each_rule_fires_where_marked_and_the_generator_agrees(string id, string markup, bool generates)
    {
        var (source, spans) = Markup.Parse(markup);

        var diagnostics = await Harness.AnalyzeAsync(source);

        diagnostics.Select(static d => (d.Id, d.Location.SourceSpan)).Should().Equal(spans.Select(span => (id, span)));
        diagnostics.Should().OnlyContain(d => string.IsNullOrEmpty(d.Descriptor.HelpLinkUri), "no rule links to a home page that does not exist (docs/diagnostics.md ships in the package)");
        var hasErrors = diagnostics.Any(static d => d.Severity == DiagnosticSeverity.Error);
        hasErrors.Should().Be(!generates && id != "SAL015", "errors, and only errors, make the generator skip the model");
        Harness.Generate(source).Sources.Should().HaveCount(generates ? 1 : 0);
    }

    public static TheoryData<string> CorrectModels => new()
    {
        ModelSources.CleanNet,
        ModelSources.Nested,
        ModelSources.Generic,
        ModelSources.FileScoped,
        ModelSources.GlobalNamespace,
        ModelSources.Property,
        ModelSources.Names,
        ModelSources.Tokens,
    };

    [Theory]
    [MemberData(nameof(CorrectModels))]
    public async Task Correct_models_have_no_diagnostics(string model)
    {
        (await Harness.AnalyzeAsync(model)).Should().BeEmpty();
    }

    public static TheoryData<string, string, string> FunctionalRelus => new()
    {
        { "", "return [|nn.functional.relu(input)|];", "functional.relu" },
        { "", "return [|nn.functional.relu(input, inplace: true)|];", "functional.relu" },
        { "using TorchSharp;", "return [|torch.nn.functional.relu(input)|];", "functional.relu" },
        { "using static TorchSharp.torch.nn;", "return [|functional.relu(input)|];", "functional.relu" },
        { "using F = TorchSharp.torch.nn.functional;", "return [|F.relu(input)|];", "functional.relu" },
        { "", "return [|input.relu()|];", "Tensor.relu()" },
        { "", "return [|input.relu_()|];", "Tensor.relu_()" },
        { "", "System.Func<Tensor, Tensor> activate = t => [|t.relu()|];\nreturn activate(input);", "Tensor.relu()" },
        { "", "return Activate(input);\nTensor Activate(Tensor t) => [|t.relu_()|];", "Tensor.relu_()" },
    };

    [Theory]
    [MemberData(nameof(FunctionalRelus))]
    public async Task SAL008_fires_for_every_spelling_of_a_functional_relu_and_the_generator_lists_it(string usings, string body, string call)
    {
        var (source, spans) = Markup.Parse(usings + "\n" + Net($"[ExplainLayer] private readonly Conv2d conv = {Conv};", forward: Forward(body)));

        var diagnostics = await Harness.AnalyzeAsync(source);

        diagnostics.Select(static d => (d.Id, d.Location.SourceSpan)).Should().Equal(("SAL008", spans.Single()));
        diagnostics[0].GetMessage().Should().Be(
            $"'Net.forward' calls {call}, which Guided Backprop cannot guide: it guides only ReLU modules invoked with call; use a ReLU module such as nn.ReLU() instead");
        Harness.Generate(source).SingleSource.SourceText.ToString().Should().Contain($"\"Net.forward calls {call}\",");
    }

    [Theory]
    [InlineData("return relu.call(input);")]
    [InlineData("return input.relu6();")]
    [InlineData("return nn.functional.leaky_relu(input);")]
    public async Task SAL008_ignores_relu_modules_and_other_activations(string body)
    {
        var source = Net($"[ExplainLayer] private readonly Conv2d conv = {Conv};\nprivate readonly ReLU relu = nn.ReLU();", forward: Forward(body));

        (await Harness.AnalyzeAsync(source)).Should().BeEmpty();
        Harness.Generate(source).SingleSource.SourceText.ToString().Should().Contain("UnguidableRelus => global::System.Array.Empty<string>();");
    }

    [Fact]
    public async Task SAL008_concerns_forward_only()
    {
        var source = Net(
            $"[ExplainLayer] private readonly Conv2d conv = {Conv};\npublic static Tensor Activate(Tensor input) => input.relu();");

        (await Harness.AnalyzeAsync(source)).Should().BeEmpty();
    }

    [Theory]
    [InlineData("return features.[|forward|](input);")]
    [InlineData("return this.features.[|forward|](input);")]
    [InlineData("return ((nn.Module<Tensor, Tensor>)features).[|forward|](input);")]
    [InlineData("return features?.[|forward|](input) ?? input;")]
    [InlineData("var head = conv.[|forward|](input);\nreturn features.call(head);")]
    public async Task SAL009_fires_when_an_explainable_layer_is_invoked_with_forward(string body)
    {
        var (source, spans) = Markup.Parse(Net(
            "[ExplainLayer(IsDefault = true)] private readonly Sequential features = nn.Sequential(nn.Identity());\n"
            + $"[ExplainLayer] private readonly Conv2d conv = {Conv};",
            forward: Forward(body)));

        var diagnostics = await Harness.AnalyzeAsync(source);

        diagnostics.Select(static d => (d.Id, d.Location.SourceSpan)).Should().Equal(("SAL009", spans.Single()));
        Harness.Generate(source).Sources.Should().ContainSingle("SAL009 is a warning: the model is still generated");
    }

    [Fact]
    public async Task SAL009_fires_outside_the_model_too()
    {
        var (source, spans) = Markup.Parse(ModelSources.Property + """

            public static class Runner
            {
                public static Tensor Run(Demo.PropertyNet net, Tensor input) => net.Features.[|forward|](input);
            }
            """);

        var diagnostics = await Harness.AnalyzeAsync(source);

        diagnostics.Select(static d => (d.Id, d.Location.SourceSpan)).Should().Equal(("SAL009", spans.Single()));
    }

    [Theory]
    [InlineData("return features.call(input);")]
    [InlineData("return plain.forward(input);")]
    public async Task SAL009_ignores_call_and_modules_that_are_not_explainable(string body)
    {
        var source = Net(
            "[ExplainLayer] private readonly Sequential features = nn.Sequential(nn.Identity());\n"
            + "private readonly Sequential plain = nn.Sequential(nn.Identity());",
            forward: Forward(body));

        (await Harness.AnalyzeAsync(source)).Should().BeEmpty();
    }

    [Theory]
    [InlineData("public sealed partial class Net : MissingBase\n{\n    [ExplainLayer] private readonly Conv2d conv = nn.Conv2d(3, 8, 3);\n}")]
    [InlineData("public sealed partial class Net : nn.Module<Tensor, Tensor>\n{\n    [ExplainLayer] private readonly MissingModule conv = null!;\n    public Net() : base(nameof(Net)) { }\n    public override Tensor forward(Tensor input) => input;\n}")]
    public async Task Unresolved_types_are_left_to_the_compiler(string model)
    {
        var source = ModelSources.Usings + model;

        (await Harness.AnalyzeAsync(source)).Should().BeEmpty();
        var result = Harness.Generate(source);
        result.Sources.Should().BeEmpty();
        result.CompilationDiagnostics.Should().ContainSingle(static d => d.Id == "CS0246");
    }

    [Fact]
    public async Task Messages_name_the_members_involved()
    {
        var source = Net($"[ExplainLayer(\"stage\", IsDefault = true)] private readonly Conv2d first = {Conv};\n[ExplainLayer(\"stage\")] private readonly Conv2d second = {Conv};");

        var diagnostic = (await Harness.AnalyzeAsync(source)).Single();

        diagnostic.GetMessage().Should().Be("Layer name 'stage' of 'Net' is already used by 'first'; give one of them another name");
        diagnostic.Descriptor.Category.Should().Be("Saliency");
        diagnostic.Descriptor.CustomTags.Should().Contain(WellKnownDiagnosticTags.NotConfigurable);
    }

    [Theory]
    [InlineData("[ExplainLayer(TokenGridHeight = 14)]", "'conv' sets TokenGridHeight but not TokenGridWidth; a token layer declares TokenGridHeight and TokenGridWidth together")]
    [InlineData("[ExplainLayer(TokenGridWidth = 14)]", "'conv' sets TokenGridWidth but not TokenGridHeight; a token layer declares TokenGridHeight and TokenGridWidth together")]
    [InlineData("[ExplainLayer(PrefixTokens = 1)]", "'conv' sets PrefixTokens but not TokenGridHeight and TokenGridWidth; a token layer declares TokenGridHeight and TokenGridWidth together")]
    [InlineData("[ExplainLayer(TokenGridHeight = 0, TokenGridWidth = 14)]", "'conv' sets TokenGridHeight = 0, but it must be positive")]
    [InlineData("[ExplainLayer(TokenGridHeight = 14, TokenGridWidth = 14, PrefixTokens = -1)]", "'conv' sets PrefixTokens = -1, but it must be zero or more")]
    public async Task Token_grid_messages_name_the_member_and_the_argument(string attribute, string message)
    {
        var diagnostic = (await Harness.AnalyzeAsync(Net($"{attribute} private readonly Conv2d conv = {Conv};"))).Single();

        diagnostic.GetMessage().Should().Be(message);
        diagnostic.Severity.Should().Be(DiagnosticSeverity.Error);
    }

    private static string Forward(string body) => $$"""
        public override Tensor forward(Tensor input)
        {
            {{body}}
        }
        """;

    private static string Net(
        string members,
        string forward = "public override Tensor forward(Tensor input) => input;",
        string declaration = "public sealed partial class Net : nn.Module<Tensor, Tensor>") =>
        ModelSources.Usings + $$"""
            namespace Demo;

            {{declaration}}
            {
                {{members}}

                public Net() : base(nameof(Net)) => RegisterComponents();

                {{forward}}
            }
            """;
}
