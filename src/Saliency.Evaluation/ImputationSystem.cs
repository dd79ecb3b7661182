namespace Saliency.Evaluation;

/// <summary>
/// The linear system of ROAD's imputation for one removal mask: for each removed pixel <c>r</c>,
/// <c>Σ_n w_n (v_r − v_n) = 0</c> over its neighbours <c>n</c> in the image (direct 1/6, diagonal 1/12), where known
/// neighbours are constants. The matrix is symmetric and positive definite when every removed region touches a kept
/// pixel, which holds whenever one pixel is kept (8-connected grid), so conjugate gradients solve it.
/// </summary>
internal sealed class ImputationSystem
{
    private const double Direct = 1.0 / 6;
    private const double Diagonal = 1.0 / 12;
    private const int MaxIterations = 200;
    private const double Tolerance = 1e-3;

    private readonly int[] _unknowns;
    private readonly double[] _diagonal;
    private readonly int[] _rowStart;
    private readonly int[] _columns;
    private readonly double[] _weights;
    private readonly int[] _knownStart;
    private readonly int[] _knownPixels;
    private readonly double[] _knownWeights;

    public ImputationSystem(int width, int height, bool[] removed, int[] unknowns)
    {
        _unknowns = unknowns;
        var index = new int[removed.Length];
        Array.Fill(index, -1);
        for (var u = 0; u < unknowns.Length; u++)
        {
            index[unknowns[u]] = u;
        }

        _diagonal = new double[unknowns.Length];
        _rowStart = new int[unknowns.Length + 1];
        _knownStart = new int[unknowns.Length + 1];
        var columns = new List<int>();
        var weights = new List<double>();
        var knownPixels = new List<int>();
        var knownWeights = new List<double>();
        for (var u = 0; u < unknowns.Length; u++)
        {
            var (x, y) = (unknowns[u] % width, unknowns[u] / width);
            for (var dy = -1; dy <= 1; dy++)
            {
                for (var dx = -1; dx <= 1; dx++)
                {
                    var (nx, ny) = (x + dx, y + dy);
                    if ((dx == 0 && dy == 0) || nx < 0 || ny < 0 || nx >= width || ny >= height)
                    {
                        continue;
                    }

                    var weight = dx == 0 || dy == 0 ? Direct : Diagonal;
                    var pixel = (ny * width) + nx;
                    _diagonal[u] += weight;
                    if (index[pixel] >= 0)
                    {
                        columns.Add(index[pixel]);
                        weights.Add(weight);
                    }
                    else
                    {
                        knownPixels.Add(pixel);
                        knownWeights.Add(weight);
                    }
                }
            }

            _rowStart[u + 1] = columns.Count;
            _knownStart[u + 1] = knownPixels.Count;
        }

        (_columns, _weights, _knownPixels, _knownWeights) = ([.. columns], [.. weights], [.. knownPixels], [.. knownWeights]);
    }

    /// <summary>Solves for the removed pixels of one channel (Jacobi-preconditioned conjugate gradients from zero).</summary>
    public double[] Solve(ReadOnlySpan<float> channel)
    {
        var n = _unknowns.Length;
        var b = new double[n];
        for (var u = 0; u < n; u++)
        {
            for (var k = _knownStart[u]; k < _knownStart[u + 1]; k++)
            {
                b[u] += _knownWeights[k] * channel[_knownPixels[k]];
            }
        }

        var x = new double[n];
        var r = new double[n];
        var z = new double[n];
        var p = new double[n];
        var q = new double[n];
        Multiply(x, q);
        var bNorm = 0.0;
        for (var u = 0; u < n; u++)
        {
            r[u] = b[u] - q[u];
            z[u] = r[u] / _diagonal[u];
            p[u] = z[u];
            bNorm += b[u] * b[u];
        }

        var rz = Dot(r, z);
        var limit = Tolerance * Tolerance * Math.Max(bNorm, 1e-30);
        for (var iteration = 0; iteration < MaxIterations && Dot(r, r) > limit; iteration++)
        {
            Multiply(p, q);
            var alpha = rz / Dot(p, q);
            for (var u = 0; u < n; u++)
            {
                x[u] += alpha * p[u];
                r[u] -= alpha * q[u];
                z[u] = r[u] / _diagonal[u];
            }

            var next = Dot(r, z);
            var beta = next / rz;
            rz = next;
            for (var u = 0; u < n; u++)
            {
                p[u] = z[u] + (beta * p[u]);
            }
        }

        return x;
    }

    private void Multiply(double[] v, double[] result)
    {
        for (var u = 0; u < v.Length; u++)
        {
            var sum = _diagonal[u] * v[u];
            for (var k = _rowStart[u]; k < _rowStart[u + 1]; k++)
            {
                sum -= _weights[k] * v[_columns[k]];
            }

            result[u] = sum;
        }
    }

    private static double Dot(double[] a, double[] b)
    {
        var sum = 0.0;
        for (var i = 0; i < a.Length; i++)
        {
            sum += a[i] * b[i];
        }

        return sum;
    }
}
