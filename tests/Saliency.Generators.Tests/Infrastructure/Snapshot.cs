using System.Runtime.CompilerServices;
using System.Text;

namespace Saliency.Generators.Tests.Infrastructure;

/// <summary>
/// Compares a generated source file, whole, with the copy stored in <c>tests/Saliency.Generators.Tests/Snapshots/</c>.
/// <para>
/// <b>Updating the stored snapshots.</b> When the generator's output changes on purpose, run
/// <c>SALIENCY_UPDATE_SNAPSHOTS=1 dotnet test tests/Saliency.Generators.Tests -c Release</c> from the repository root,
/// review the changes with <c>git diff tests/Saliency.Generators.Tests/Snapshots</c> and commit them with the change.
/// With that variable set, <see cref="Match(string, string)"/> overwrites the stored file with the generated text and passes.
/// </para>
/// <para>
/// Snapshot <c>Name</c> is stored as <c>Snapshots/Name.verified.txt</c> (an extension the compiler never compiles).
/// Line endings are normalised to <c>\n</c> on both sides. On a mismatch the test fails with the first differing line
/// (its number, the expected line and the actual one) and the whole generated text is written next to the stored file
/// as <c>Name.received.txt</c> (git-ignored); a later match or update deletes it.
/// </para>
/// <para>
/// The generator writes its assembly version into every <c>[GeneratedCode("Saliency.Generators", "…")]</c>. Before the
/// comparison <see cref="Scrub"/> replaces that version with <see cref="VersionPlaceholder"/>, so the snapshots do not
/// change when the version does. Only the generator's own current version is replaced: a wrong version still shows up
/// as a difference.
/// </para>
/// <para>
/// The folder is found from the path of this source file (<see cref="CallerFilePathAttribute"/>), not from <c>bin/</c>,
/// so updates land in the repository.
/// </para>
/// </summary>
internal static class Snapshot
{
    /// <summary>The environment variable that turns comparisons into updates when set to <c>1</c> (or <c>true</c>).</summary>
    public const string UpdateVariable = "SALIENCY_UPDATE_SNAPSHOTS";

    /// <summary>The command that rewrites every stored snapshot, run from the repository root.</summary>
    public const string UpdateCommand = UpdateVariable + "=1 dotnet test tests/Saliency.Generators.Tests -c Release";

    /// <summary>What the generator version in <c>[GeneratedCode]</c> reads as in a stored snapshot.</summary>
    public const string VersionPlaceholder = "{generator-version}";

    /// <summary>The extension of a stored snapshot.</summary>
    public const string VerifiedExtension = ".verified.txt";

    /// <summary>The extension of the actual text written next to a stored snapshot that did not match.</summary>
    public const string ReceivedExtension = ".received.txt";

    private const string GeneratorName = "Saliency.Generators";

    private static readonly UTF8Encoding Utf8NoBom = new(encoderShouldEmitUTF8Identifier: false);

    private static readonly Lazy<string> LazyFolder = new(() => FindFolder());

    /// <summary>The folder of the stored snapshots, in the source tree.</summary>
    public static string Folder => LazyFolder.Value;

    /// <summary>The generator version that <see cref="Scrub"/> replaces.</summary>
    public static string GeneratorVersion { get; } = typeof(ExplainLayerGenerator).Assembly.GetName().Version!.ToString();

    /// <summary>Whether <see cref="UpdateVariable"/> asks for the stored snapshots to be rewritten.</summary>
    public static bool UpdateRequested =>
        Environment.GetEnvironmentVariable(UpdateVariable) is { } value
        && (value == "1" || string.Equals(value, "true", StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// Fails unless <paramref name="actual"/>, scrubbed and normalised, equals the stored snapshot <paramref name="name"/>;
    /// with <see cref="UpdateVariable"/> set, stores it instead.
    /// </summary>
    /// <param name="name">The snapshot's name: its file is <c>Snapshots/{name}.verified.txt</c>.</param>
    /// <param name="actual">The generated text.</param>
    public static void Match(string name, string actual) => Match(Folder, name, actual, UpdateRequested);

    /// <summary>
    /// <see cref="Match(string, string)"/> against the snapshots in <paramref name="folder"/>, with the update mode given
    /// rather than read from the environment (so that the helper itself can be tested).
    /// </summary>
    /// <param name="folder">The folder of the stored snapshots.</param>
    /// <param name="name">The snapshot's name.</param>
    /// <param name="actual">The generated text.</param>
    /// <param name="update">Whether to overwrite the stored snapshot instead of comparing.</param>
    public static void Match(string folder, string name, string actual, bool update)
    {
        var verifiedPath = Path.Combine(folder, name + VerifiedExtension);
        var receivedPath = Path.Combine(folder, name + ReceivedExtension);
        var received = Normalize(Scrub(actual));

        if (update)
        {
            File.WriteAllText(verifiedPath, received, Utf8NoBom);
            File.Delete(receivedPath);
            return;
        }

        if (!File.Exists(verifiedPath))
        {
            File.WriteAllText(receivedPath, received, Utf8NoBom);
            Assert.Fail(
                $"There is no stored snapshot '{name}' ({verifiedPath}).\n"
                + $"The generated text is in {receivedPath}.\n"
                + $"Review it and store it with: {UpdateCommand}");
        }

        var expected = Normalize(File.ReadAllText(verifiedPath));
        var difference = FirstDifference(expected, received);
        if (difference is null)
        {
            File.Delete(receivedPath);
            return;
        }

        File.WriteAllText(receivedPath, received, Utf8NoBom);
        Assert.Fail(
            $"The generated text differs from snapshot '{name}' at line {difference.Line}:\n"
            + $"  expected: {Show(difference.Expected)}\n"
            + $"  actual:   {Show(difference.Actual)}\n"
            + $"Stored:   {verifiedPath}\n"
            + $"Received: {receivedPath} (the whole generated text)\n"
            + $"If the change is intended, update the snapshots with: {UpdateCommand}");
    }

    /// <summary>Replaces the generator's version in <c>[GeneratedCode]</c> attributes with <see cref="VersionPlaceholder"/>.</summary>
    /// <param name="text">The generated text.</param>
    /// <returns>The text without the version.</returns>
    public static string Scrub(string text) =>
        text.Replace(
            $"GeneratedCode(\"{GeneratorName}\", \"{GeneratorVersion}\")",
            $"GeneratedCode(\"{GeneratorName}\", \"{VersionPlaceholder}\")",
            StringComparison.Ordinal);

    /// <summary>Turns <c>\r\n</c> and lone <c>\r</c> into <c>\n</c>.</summary>
    /// <param name="text">Any text.</param>
    /// <returns>The text with <c>\n</c> line endings only.</returns>
    public static string Normalize(string text) =>
        text.Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\r', '\n');

    /// <summary>The first line, numbered from 1, where two texts differ; <see langword="null"/> when they are equal.</summary>
    /// <param name="expected">The stored text, normalised.</param>
    /// <param name="actual">The generated text, normalised.</param>
    /// <returns>The line number and both lines; a side that has no such line has <see langword="null"/>.</returns>
    public static LineDifference? FirstDifference(string expected, string actual)
    {
        if (string.Equals(expected, actual, StringComparison.Ordinal))
        {
            return null;
        }

        var expectedLines = expected.Split('\n');
        var actualLines = actual.Split('\n');
        for (var i = 0; ; i++)
        {
            var expectedLine = i < expectedLines.Length ? expectedLines[i] : null;
            var actualLine = i < actualLines.Length ? actualLines[i] : null;
            if (!string.Equals(expectedLine, actualLine, StringComparison.Ordinal))
            {
                return new LineDifference(i + 1, expectedLine, actualLine);
            }
        }
    }

    private static string Show(string? line) => line is null ? "(past the end of the text)" : $"\"{line}\"";

    // Infrastructure/Snapshot.cs -> the test project's folder -> Snapshots/.
    private static string FindFolder([CallerFilePath] string thisFile = "")
    {
        var project = Path.GetDirectoryName(Path.GetDirectoryName(thisFile));
        var folder = project is null ? null : Path.Combine(project, "Snapshots");
        if (folder is null || !Directory.Exists(folder))
        {
            throw new DirectoryNotFoundException(
                $"The snapshot folder was not found next to {thisFile}: the generator tests must run from a build of this source tree.");
        }

        return folder;
    }
}

/// <summary>Where two texts first differ.</summary>
/// <param name="Line">The line number, from 1.</param>
/// <param name="Expected">The stored line, or <see langword="null"/> past the end of the stored text.</param>
/// <param name="Actual">The generated line, or <see langword="null"/> past the end of the generated text.</param>
internal sealed record LineDifference(int Line, string? Expected, string? Actual);
