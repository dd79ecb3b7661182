using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Saliency.Generators.Tests.Infrastructure;

/// <summary>Builds in-memory compilations of model snippets against TorchSharp, Saliency.Abstractions and the framework.</summary>
internal static class TestCompilation
{
    public static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Latest);

    private static readonly CSharpCompilationOptions Options = new(
        OutputKind.DynamicallyLinkedLibrary,
        nullableContextOptions: NullableContextOptions.Enable,
        warningLevel: 9999);

    private static readonly Lazy<ImmutableArray<MetadataReference>> References = new(LoadReferences);

    public static CSharpCompilation Create(params string[] sources) =>
        CSharpCompilation.Create(
            "SaliencyModels",
            sources.Select(static (source, i) => Parse(source, $"Model{i}.cs")),
            References.Value,
            Options);

    public static SyntaxTree Parse(string source, string path) =>
        CSharpSyntaxTree.ParseText(source, ParseOptions, path);

    private static ImmutableArray<MetadataReference> LoadReferences()
    {
        var platform = ((string?)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries);
        var own = Path.GetFileName(typeof(TestCompilation).Assembly.Location);
        return platform
            .Prepend(typeof(IExplainable).Assembly.Location)
            .Prepend(typeof(TorchSharp.torch).Assembly.Location)
            .Where(path => !string.Equals(Path.GetFileName(path), own, StringComparison.OrdinalIgnoreCase))
            .DistinctBy(Path.GetFileName, StringComparer.OrdinalIgnoreCase)
            .Select(static path => (MetadataReference)MetadataReference.CreateFromFile(path))
            .ToImmutableArray();
    }
}
