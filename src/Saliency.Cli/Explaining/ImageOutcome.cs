namespace Saliency.Cli.Explaining;

/// <summary>What happened to one image: the files written, or why it failed.</summary>
/// <param name="Path">The image.</param>
/// <param name="Files">The files written for it.</param>
/// <param name="Error">Why it failed, or <see langword="null"/>.</param>
internal sealed record ImageOutcome(string Path, IReadOnlyList<string> Files, string? Error)
{
    public static ImageOutcome Failed(string path, string error) => new(path, [], error);
}
