namespace Saliency.Cli.Explaining;

/// <summary>What happened to one image.</summary>
internal enum ImageStatus
{
    /// <summary>All its outputs were written.</summary>
    Explained,

    /// <summary>It failed; nothing of it was kept.</summary>
    Failed,

    /// <summary><c>--resume</c> found its outputs complete and left them.</summary>
    Skipped,
}

/// <summary>One output file and its SHA-256.</summary>
/// <param name="File">The path, relative to <c>--out</c>, with <c>/</c>.</param>
/// <param name="Sha256">Its SHA-256, lower-case hex.</param>
internal sealed record OutputFile(string File, string Sha256);

/// <summary>What happened to one image: the files written, or why it failed.</summary>
/// <param name="Path">The image.</param>
/// <param name="Status">Explained, failed or skipped.</param>
/// <param name="Outputs">The files written for it (for a skipped image, those found complete).</param>
/// <param name="Error">Why it failed (<c>path: problem</c>), or <see langword="null"/>.</param>
internal sealed record ImageOutcome(string Path, ImageStatus Status, IReadOnlyList<OutputFile> Outputs, string? Error)
{
    public static ImageOutcome Failed(string path, string error) => new(path, ImageStatus.Failed, [], error);
}
