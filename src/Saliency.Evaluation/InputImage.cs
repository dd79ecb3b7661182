namespace Saliency.Evaluation;

/// <summary>
/// One model input for the faithfulness metrics: row-major <c>C·H·W</c> values in the model's input space
/// (normalised), and the per-channel value that stands for a removed pixel (a black pixel, normalised).
/// </summary>
/// <param name="Values">The input, channel-major then row-major.</param>
/// <param name="Channels">Channels.</param>
/// <param name="Height">Rows.</param>
/// <param name="Width">Columns.</param>
/// <param name="Baseline">One value per channel for a removed pixel.</param>
public sealed record InputImage(float[] Values, int Channels, int Height, int Width, float[] Baseline)
{
    /// <summary>The shape the scorer needs.</summary>
    public (int Channels, int Height, int Width) Shape => (Channels, Height, Width);

    /// <summary>Pixels per channel.</summary>
    public int Pixels => Height * Width;

    /// <summary>Checks that the arrays match the shape.</summary>
    /// <exception cref="ArgumentException">They do not.</exception>
    public void Validate()
    {
        if (Values.Length != Channels * Height * Width || Baseline.Length != Channels)
        {
            throw new ArgumentException($"An input of {Channels}×{Height}×{Width} needs {Channels * Height * Width} values and {Channels} baseline values, not {Values.Length} and {Baseline.Length}.");
        }
    }
}
