using FluentAssertions;
using Saliency.Generators.Diagnostics;

namespace Saliency.Generators.Tests;

/// <summary>What a package consumer sees of the rules: no link to a home page that does not exist, and a section per rule in docs/diagnostics.md (shipped in the package).</summary>
public sealed class DiagnosticDocumentationTests
{
    [Fact]
    public void No_rule_carries_a_help_link()
    {
        DiagnosticDescriptors.All.Select(d => (d.Id, d.HelpLinkUri)).Should().OnlyContain(rule => string.IsNullOrEmpty(rule.HelpLinkUri));
    }

    [Fact]
    public void Every_rule_has_a_row_and_a_section_in_docs_diagnostics_md_and_nothing_else_does()
    {
        var lines = File.ReadAllLines(Path.Combine(RepositoryRoot(), "docs", "diagnostics.md"));
        var ids = DiagnosticDescriptors.All.Select(d => d.Id).ToList();

        lines.Where(l => l.StartsWith("## SAL", StringComparison.Ordinal)).Select(l => l[3..].Trim()).Should().Equal(ids);
        lines.Where(l => l.StartsWith("| [SAL", StringComparison.Ordinal)).Select(l => l[3..9]).Should().Equal(ids);
        foreach (var descriptor in DiagnosticDescriptors.All)
        {
            lines.Should().Contain(l => l.StartsWith($"| [{descriptor.Id}]", StringComparison.Ordinal) && l.Contains(descriptor.Title.ToString(), StringComparison.Ordinal), $"{descriptor.Id}'s row names its title");
        }
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Saliency.sln")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException("Saliency.sln not found above the test assembly.");
    }
}
