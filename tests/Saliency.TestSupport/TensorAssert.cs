using static TorchSharp.torch;

namespace Saliency.Tests;

public static class TensorAssert
{
    /// <summary>Asserts equal shapes and max |actual − expected| ≤ tolerance.</summary>
    public static void Close(Tensor actual, Tensor expected, double tolerance, string because = "")
    {
        actual.shape.Should().Equal(expected.shape, because);
        using var diff = (actual.to(ScalarType.Float64) - expected.to(ScalarType.Float64)).abs().max();
        diff.item<double>().Should().BeLessThanOrEqualTo(tolerance, because);
    }

    public static long LiveTensors() => TorchSharp.DisposeScopeManager.Statistics.ThreadTotalLiveCount;
}
