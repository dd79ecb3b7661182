using System.Globalization;

namespace Saliency;

/// <summary>One convolution shape of the kernel self-check: <c>conv2d</c>, 3×3, padding 1, stride 1, with bias.</summary>
/// <param name="Batch">Images, <c>N</c>.</param>
/// <param name="InChannels">Input channels, <c>Cin</c>.</param>
/// <param name="OutChannels">Output channels, <c>Cout</c>.</param>
/// <param name="Size">Height and width.</param>
public sealed record KernelCheckShape(int Batch, int InChannels, int OutChannels, int Size)
{
    /// <inheritdoc />
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"N={Batch} Cin={InChannels} Cout={OutChannels} {Size}×{Size}");
}

/// <summary>
/// One shape at one thread count: the float32 forward output, input gradient and weight gradient compared with the
/// same computation in float64. Each error is <c>max|float32 − float64| / max|float64|</c> (a fraction of the peak).
/// </summary>
/// <param name="Shape">The convolution.</param>
/// <param name="Threads">libtorch's intra-op threads during the float32 run (1 on CUDA, where it does not apply).</param>
/// <param name="ForwardError">Error of the output.</param>
/// <param name="InputGradientError">Error of the gradient with respect to the input.</param>
/// <param name="WeightGradientError">Error of the gradient with respect to the weight.</param>
/// <param name="Tolerance">The largest error that passes.</param>
public sealed record KernelCheckCase(KernelCheckShape Shape, int Threads, double ForwardError, double InputGradientError, double WeightGradientError, double Tolerance)
{
    /// <summary>The largest of the three errors (NaN if any is NaN).</summary>
    public double WorstError => double.IsNaN(ForwardError) || double.IsNaN(InputGradientError) || double.IsNaN(WeightGradientError)
        ? double.NaN
        : Math.Max(ForwardError, Math.Max(InputGradientError, WeightGradientError));

    /// <summary>Which quantity has the largest error: <c>forward</c>, <c>input gradient</c> or <c>weight gradient</c>.</summary>
    public string WorstQuantity =>
        !(InputGradientError <= Math.Max(ForwardError, WeightGradientError)) ? "input gradient"
        : !(WeightGradientError <= ForwardError) ? "weight gradient"
        : "forward";

    /// <summary>Whether every error is within <see cref="Tolerance"/> (NaN fails).</summary>
    public bool Passed => ForwardError <= Tolerance && InputGradientError <= Tolerance && WeightGradientError <= Tolerance;

    /// <inheritdoc />
    public override string ToString() => string.Create(
        CultureInfo.InvariantCulture,
        $"{Shape}, {Threads} thread(s): forward {ForwardError:G2}, input gradient {InputGradientError:G2}, weight gradient {WeightGradientError:G2} of the peak");
}

/// <summary>The result of <see cref="KernelSelfCheck.Run"/> on one device.</summary>
/// <param name="Device">The device checked, e.g. <c>cpu</c> or <c>cuda:0</c>.</param>
/// <param name="OneDnnEnabled">Whether oneDNN was on during the check (CPU; <see langword="null"/> when unknown or not the CPU).</param>
/// <param name="Cases">Every shape at every thread count.</param>
/// <param name="Elapsed">How long the check took.</param>
public sealed record KernelCheckReport(string Device, bool? OneDnnEnabled, IReadOnlyList<KernelCheckCase> Cases, TimeSpan Elapsed)
{
    /// <summary>Whether every case passed.</summary>
    public bool Passed => Cases.All(c => c.Passed);

    /// <summary>The case with the largest error (NaN counts as largest).</summary>
    public KernelCheckCase Worst => Cases.MaxBy(c => double.IsNaN(c.WorstError) ? double.PositiveInfinity : c.WorstError)
        ?? throw new InvalidOperationException("The report has no cases.");

    /// <summary>
    /// One phrase: for a failed check, e.g. <c>input gradient off by up to 0.77 of the peak in 4 of 4 cases, worst at
    /// N=2 Cin=3 Cout=4 32×32 with 1 thread</c>; for a passed one, e.g. <c>worst error 3.5E-07 of the peak in 4 cases</c>.
    /// </summary>
    public string Summary
    {
        get
        {
            var worst = Worst;
            var threads = worst.Threads == 1 ? "1 thread" : $"{worst.Threads} threads";
            return Passed
                ? string.Create(CultureInfo.InvariantCulture, $"worst error {worst.WorstError:G2} of the peak in {Cases.Count} cases")
                : string.Create(CultureInfo.InvariantCulture, $"{worst.WorstQuantity} {(double.IsNaN(worst.WorstError) ? "not finite (NaN)" : $"off by up to {worst.WorstError:G2} of the peak")} in {Cases.Count(c => !c.Passed)} of {Cases.Count} cases, worst at {worst.Shape} with {threads}");
        }
    }
}
