namespace Saliency.Imaging;

/// <summary>An image that cannot be used: missing, unreadable, corrupt, truncated, of an unsupported format, or too large.</summary>
public sealed class ImageException : SaliencyException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="path">The image's path.</param>
    /// <param name="problem">What is wrong, without the path.</param>
    public ImageException(string path, string problem)
        : base($"{path}: {problem}")
    {
        Path = path;
        Problem = problem;
    }

    /// <summary>Creates the exception with its cause.</summary>
    /// <param name="path">The image's path.</param>
    /// <param name="problem">What is wrong, without the path.</param>
    /// <param name="innerException">The cause.</param>
    public ImageException(string path, string problem, Exception innerException)
        : base($"{path}: {problem}", innerException)
    {
        Path = path;
        Problem = problem;
    }

    /// <summary>The image's path.</summary>
    public string Path { get; }

    /// <summary>What is wrong with it.</summary>
    public string Problem { get; }
}
