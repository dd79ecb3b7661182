using System.Collections;
using System.Reflection;
using FluentAssertions;
using Microsoft.CodeAnalysis;
using Saliency.Generators.Models;
using Saliency.Generators.Tests.Infrastructure;

namespace Saliency.Generators.Tests;

/// <summary>The pipeline caches: unrelated edits leave every step Cached or Unchanged, real edits reach the output.</summary>
public sealed class IncrementalTests
{
    private static readonly string[] OwnSteps = [TrackingNames.InitialExtraction, TrackingNames.RemovingNulls, TrackingNames.Models];

    [Fact]
    public void Adding_an_unrelated_file_leaves_every_step_and_output_cached()
    {
        var compilation = TestCompilation.Create(ModelSources.SmallNet, ModelSources.Generic);
        var first = Harness.Generate(compilation);

        var edited = compilation.Clone().AddSyntaxTrees(
            TestCompilation.Parse("namespace Other; public static class Helper { public static int Two() => 2; }", "Unrelated.cs"));
        var second = Harness.Generate(first.Driver, edited);

        AssertFirstRunIsNew(first);
        AssertCached(second);
        second.Sources.Select(static s => s.SourceText.ToString()).Should().Equal(first.Sources.Select(static s => s.SourceText.ToString()));
    }

    [Fact]
    public void Editing_a_method_body_unrelated_to_the_annotations_leaves_the_output_cached()
    {
        var compilation = TestCompilation.Create(ModelSources.SmallNet);
        var first = Harness.Generate(compilation);

        var second = Harness.Generate(first.Driver, Edit(compilation, "fc = nn.Linear(8, 10);", "fc = nn.Linear(8, 12);"));

        AssertCached(second);
    }

    [Fact]
    public void Renaming_a_layer_modifies_the_output()
    {
        var compilation = TestCompilation.Create(ModelSources.SmallNet);
        var first = Harness.Generate(compilation);

        var second = Harness.Generate(first.Driver, Edit(compilation, "[ExplainLayer(\"block\")]", "[ExplainLayer(\"stage\")]"));

        Reasons(second, TrackingNames.Models).Should().Equal(IncrementalStepRunReason.Modified);
        OutputReasons(second).Should().Equal(IncrementalStepRunReason.Modified);
        second.SingleSource.SourceText.ToString().Should().Contain("public const string Stage = \"stage\";").And.NotContain("\"block\"");
    }

    [Fact]
    public void Adding_a_functional_relu_to_forward_modifies_the_output()
    {
        var compilation = TestCompilation.Create(ModelSources.CleanNet);
        var first = Harness.Generate(compilation);

        var second = Harness.Generate(first.Driver, Edit(compilation, "relu.call(features.call(input))", "features.call(input).relu()"));

        OutputReasons(second).Should().Equal(IncrementalStepRunReason.Modified);
        second.SingleSource.SourceText.ToString().Should().Contain("\"CleanNet.forward calls Tensor.relu()\",");
    }

    [Fact]
    public void Pipeline_values_hold_no_symbols_syntax_or_compilations()
    {
        var result = Harness.Generate(ModelSources.SmallNet, ModelSources.Nested, ModelSources.Generic, ModelSources.Names);
        var steps = result.RunResult.Results.Single().TrackedSteps;

        foreach (var name in OwnSteps)
        {
            foreach (var step in steps[name])
            {
                foreach (var (value, _) in step.Outputs)
                {
                    AssertNoForbiddenValues(value, name, new HashSet<object>(ReferenceEqualityComparer.Instance));
                }
            }
        }
    }

    [Fact]
    public void Model_types_declare_no_symbol_syntax_or_compilation_fields()
    {
        var modelTypes = typeof(ModelSpec).Assembly.GetTypes()
            .Where(static t => t.Namespace == typeof(ModelSpec).Namespace)
            .ToArray();

        modelTypes.Should().Contain([typeof(ModelSpec), typeof(LayerSpec), typeof(TypeDeclarationSpec)]);
        foreach (var type in modelTypes)
        {
            type.IsValueType.Should().BeTrue("{0} is a value-equatable record struct", type);
            typeof(IEquatable<>).MakeGenericType(type).IsAssignableFrom(type).Should().BeTrue();
            AssertNoForbiddenFieldTypes(type, new HashSet<Type>());
        }
    }

    private static Compilation Edit(Compilation compilation, string oldText, string newText)
    {
        var tree = compilation.SyntaxTrees.Single(t => t.ToString().Contains(oldText, StringComparison.Ordinal));
        var edited = tree.WithChangedText(tree.GetText().Replace(tree.ToString().IndexOf(oldText, StringComparison.Ordinal), oldText.Length, newText));
        return compilation.ReplaceSyntaxTree(tree, edited);
    }

    private static void AssertFirstRunIsNew(GenerationResult first)
    {
        foreach (var name in OwnSteps)
        {
            first.RunResult.Results.Single().TrackedSteps.Should().ContainKey(name);
        }

        Reasons(first, TrackingNames.Models).Should().OnlyContain(static r => r == IncrementalStepRunReason.New);
    }

    private static void AssertCached(GenerationResult second)
    {
        foreach (var name in OwnSteps)
        {
            Reasons(second, name).Should()
                .NotBeEmpty()
                .And.OnlyContain(static r => r == IncrementalStepRunReason.Cached || r == IncrementalStepRunReason.Unchanged, "step {0} must not rerun its consumers", name);
        }

        OutputReasons(second).Should().NotBeEmpty().And.OnlyContain(static r => r == IncrementalStepRunReason.Cached);
    }

    private static IEnumerable<IncrementalStepRunReason> Reasons(GenerationResult result, string step) =>
        result.RunResult.Results.Single().TrackedSteps[step].SelectMany(static s => s.Outputs).Select(static o => o.Reason);

    private static IEnumerable<IncrementalStepRunReason> OutputReasons(GenerationResult result) =>
        result.RunResult.Results.Single().TrackedOutputSteps.SelectMany(static s => s.Value).SelectMany(static s => s.Outputs).Select(static o => o.Reason);

    private static bool IsForbidden(Type type) =>
        typeof(Compilation).IsAssignableFrom(type)
        || typeof(ISymbol).IsAssignableFrom(type)
        || typeof(SyntaxNode).IsAssignableFrom(type)
        || typeof(SyntaxTree).IsAssignableFrom(type)
        || typeof(SemanticModel).IsAssignableFrom(type)
        || typeof(Location).IsAssignableFrom(type);

    private static void AssertNoForbiddenValues(object? value, string path, HashSet<object> visited)
    {
        if (value is null or string || value.GetType().IsPrimitive || value.GetType().IsEnum)
        {
            return;
        }

        var type = value.GetType();
        IsForbidden(type).Should().BeFalse("{0} is a {1}, which must not be cached in the pipeline", path, type);
        if (!visited.Add(value))
        {
            return;
        }

        if (value is IEnumerable items)
        {
            var i = 0;
            foreach (var item in items)
            {
                AssertNoForbiddenValues(item, $"{path}[{i++}]", visited);
            }
        }

        foreach (var field in type.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic))
        {
            AssertNoForbiddenValues(field.GetValue(value), $"{path}.{field.Name}", visited);
        }
    }

    private static void AssertNoForbiddenFieldTypes(Type type, HashSet<Type> visited)
    {
        if (type.IsPrimitive || type == typeof(string) || type.IsEnum || !visited.Add(type))
        {
            return;
        }

        IsForbidden(type).Should().BeFalse();
        type.Should().NotBe<object>("an object field could hold anything");
        if (type.IsArray)
        {
            AssertNoForbiddenFieldTypes(type.GetElementType()!, visited);
        }

        foreach (var argument in type.IsGenericType ? type.GetGenericArguments() : [])
        {
            AssertNoForbiddenFieldTypes(argument, visited);
        }

        foreach (var field in type.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic))
        {
            AssertNoForbiddenFieldTypes(field.FieldType, visited);
        }
    }
}
