using FluentAssertions;
using Saliency.Generators.Tests.Infrastructure;
using Xunit.Sdk;

namespace Saliency.Generators.Tests;

/// <summary>The snapshot helper itself, against a temporary folder rather than the stored snapshots.</summary>
public sealed class SnapshotTests : IDisposable
{
    private const string Stored = "namespace Demo\n{\n    partial class SmallNet\n    {\n    }\n}\n";

    private readonly string folder = Directory.CreateTempSubdirectory("saliency-snapshot-tests-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Fact]
    public void A_matching_text_passes_whatever_its_line_endings_and_removes_a_stale_received_file()
    {
        File.WriteAllText(VerifiedPath, Stored.Replace("\n", "\r\n", StringComparison.Ordinal));
        File.WriteAllText(ReceivedPath, "left over from an earlier failure");

        Snapshot.Match(folder, "Model", Stored, update: false);
        Snapshot.Match(folder, "Model", Stored.Replace("\n", "\r\n", StringComparison.Ordinal), update: false);

        File.Exists(ReceivedPath).Should().BeFalse();
        File.ReadAllText(VerifiedPath).Should().Contain("\r\n", "a comparison never writes the stored file");
    }

    [Fact]
    public void A_different_text_fails_with_the_first_differing_line_and_is_written_as_received()
    {
        File.WriteAllText(VerifiedPath, Stored);
        var actual = Stored.Replace("partial class SmallNet", "partial class BigNet", StringComparison.Ordinal);

        var act = () => Snapshot.Match(folder, "Model", actual, update: false);

        act.Should().Throw<XunitException>().Which.Message.Should().Contain(
            "differs from snapshot 'Model' at line 3:\n"
            + "  expected: \"    partial class SmallNet\"\n"
            + "  actual:   \"    partial class BigNet\"\n").And.Contain(ReceivedPath).And.Contain(Snapshot.UpdateCommand);
        File.ReadAllText(ReceivedPath).Should().Be(actual);
        File.ReadAllText(VerifiedPath).Should().Be(Stored);
    }

    [Fact]
    public void A_longer_text_fails_at_the_first_line_past_the_end_of_the_stored_one()
    {
        File.WriteAllText(VerifiedPath, "a\nb");

        var act = () => Snapshot.Match(folder, "Model", "a\nb\nc", update: false);

        act.Should().Throw<XunitException>().Which.Message.Should().Contain(
            "at line 3:\n  expected: (past the end of the text)\n  actual:   \"c\"\n");
    }

    [Fact]
    public void A_missing_snapshot_fails_and_writes_the_received_text()
    {
        var act = () => Snapshot.Match(folder, "Model", Stored, update: false);

        act.Should().Throw<XunitException>().Which.Message.Should().Contain("no stored snapshot 'Model'").And.Contain(Snapshot.UpdateCommand);
        File.ReadAllText(ReceivedPath).Should().Be(Stored);
        File.Exists(VerifiedPath).Should().BeFalse();
    }

    [Fact]
    public void Update_mode_overwrites_the_stored_snapshot_with_normalised_text_and_passes()
    {
        File.WriteAllText(VerifiedPath, "old");
        File.WriteAllText(ReceivedPath, "old failure");

        Snapshot.Match(folder, "Model", Stored.Replace("\n", "\r\n", StringComparison.Ordinal), update: true);

        File.ReadAllText(VerifiedPath).Should().Be(Stored);
        File.Exists(ReceivedPath).Should().BeFalse();
    }

    [Fact]
    public void The_generator_version_is_scrubbed_and_no_other_version()
    {
        var attribute = $"[global::System.CodeDom.Compiler.GeneratedCode(\"Saliency.Generators\", \"{Snapshot.GeneratorVersion}\")]";
        const string other = "[global::System.CodeDom.Compiler.GeneratedCode(\"Saliency.Generators\", \"9.9.9-wrong\")]";

        Snapshot.Scrub(attribute + "\n" + other).Should().Be(
            "[global::System.CodeDom.Compiler.GeneratedCode(\"Saliency.Generators\", \"{generator-version}\")]\n" + other);
    }

    [Fact]
    public void The_stored_snapshots_are_found_in_the_source_tree_not_in_bin()
    {
        Snapshot.Folder.Should().EndWith(Path.Combine("tests", "Saliency.Generators.Tests", "Snapshots"));
        File.Exists(Path.Combine(Snapshot.Folder, "..", "Saliency.Generators.Tests.csproj")).Should().BeTrue();
    }

    private string VerifiedPath => Path.Combine(folder, "Model" + Snapshot.VerifiedExtension);

    private string ReceivedPath => Path.Combine(folder, "Model" + Snapshot.ReceivedExtension);
}
