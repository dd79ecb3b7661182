namespace Saliency;

/// <summary>An explanation that cannot be made as asked; the message names the problem and, where possible, the fix.</summary>
public class SaliencyException : Exception
{
    /// <summary>Creates the exception.</summary>
    public SaliencyException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">One line: the problem and the fix.</param>
    public SaliencyException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    /// <param name="message">One line: the problem and the fix.</param>
    /// <param name="innerException">The cause.</param>
    public SaliencyException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
