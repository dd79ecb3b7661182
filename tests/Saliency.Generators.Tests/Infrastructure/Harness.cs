using System.Collections.Immutable;
using FluentAssertions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Saliency.Generators.Diagnostics;

namespace Saliency.Generators.Tests.Infrastructure;

/// <summary>What one generator run produced.</summary>
/// <param name="Driver">The driver after the run, to run again incrementally.</param>
/// <param name="Input">The compilation the generator saw.</param>
/// <param name="Output">The compilation with the generated sources added.</param>
/// <param name="GeneratorDiagnostics">Diagnostics the generator itself reported (it reports none).</param>
internal sealed record GenerationResult(
    GeneratorDriver Driver,
    Compilation Input,
    Compilation Output,
    ImmutableArray<Diagnostic> GeneratorDiagnostics)
{
    public GeneratorDriverRunResult RunResult => Driver.GetRunResult();

    public ImmutableArray<GeneratedSourceResult> Sources => RunResult.Results.Single().GeneratedSources;

    /// <summary>The only generated file.</summary>
    public GeneratedSourceResult SingleSource
    {
        get
        {
            Sources.Should().ContainSingle("one model yields one file");
            return Sources[0];
        }
    }

    /// <summary>Every diagnostic of the compiled result, hidden ones included.</summary>
    public ImmutableArray<Diagnostic> CompilationDiagnostics => Output.GetDiagnostics();
}

/// <summary>Runs <see cref="ExplainLayerGenerator"/> and <see cref="ExplainLayerAnalyzer"/> the way the compiler does.</summary>
internal static class Harness
{
    public static GeneratorDriver CreateDriver() =>
        CSharpGeneratorDriver.Create(
            [new ExplainLayerGenerator().AsSourceGenerator()],
            parseOptions: TestCompilation.ParseOptions,
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

    public static GenerationResult Generate(params string[] sources) => Generate(TestCompilation.Create(sources));

    public static GenerationResult Generate(Compilation compilation) => Generate(CreateDriver(), compilation);

    public static GenerationResult Generate(GeneratorDriver driver, Compilation compilation)
    {
        driver = driver.RunGeneratorsAndUpdateCompilation(compilation, out var output, out var diagnostics);
        return new GenerationResult(driver, compilation, output, diagnostics);
    }

    /// <summary>Runs the generator, then the analyzer over the result (as in a build), and returns the analyzer's diagnostics in source order.</summary>
    public static async Task<ImmutableArray<Diagnostic>> AnalyzeAsync(params string[] sources)
    {
        var output = Generate(sources).Output;
        var diagnostics = await output
            .WithAnalyzers([new ExplainLayerAnalyzer()], new CompilationWithAnalyzersOptions(
                new AnalyzerOptions([]), onAnalyzerException: null, concurrentAnalysis: true, logAnalyzerExecutionTime: false))
            .GetAnalyzerDiagnosticsAsync();
        return [.. diagnostics.OrderBy(static d => d.Location.SourceTree?.FilePath, StringComparer.Ordinal).ThenBy(static d => d.Location.SourceSpan.Start)];
    }
}
