namespace Saliency.Methods;

/// <summary>
/// A quadrature rule on <c>[0,1]</c> for the path integral of Integrated Gradients: points <c>α_i</c> along the path
/// from the baseline to the input, and the weight <c>w_i</c> of the gradient at each. The rules and their names are
/// Captum's (<c>captum.attr._utils.approximation_methods</c>).
/// </summary>
/// <param name="Alphas">The points <c>α_i</c>, ascending.</param>
/// <param name="Weights">The weights <c>w_i</c>; they sum to 1.</param>
internal sealed record PathQuadrature(double[] Alphas, double[] Weights)
{
    /// <summary>The rule names, the default first.</summary>
    public static readonly string[] Names = ["gausslegendre", "riemann_trapezoid", "riemann_left", "riemann_right", "riemann_middle"];

    /// <summary>The rule <paramref name="name"/> with <paramref name="steps"/> points.</summary>
    /// <exception cref="ArgumentException">The name is not known, or there are too few steps for the rule.</exception>
    public static PathQuadrature Create(string name, int steps)
    {
        var minimum = name == "gausslegendre" ? 1 : 2;
        if (steps < minimum)
        {
            throw new ArgumentException($"Integrated Gradients with method={name} needs steps ≥ {minimum}; got {steps}.");
        }

        return name switch
        {
            "gausslegendre" => GaussLegendre(steps),
            "riemann_trapezoid" => Riemann(steps, k => (double)k / (steps - 1), k => k == 0 || k == steps - 1 ? 0.5 / (steps - 1) : 1.0 / (steps - 1)),
            "riemann_left" => Riemann(steps, k => (double)k / steps, _ => 1.0 / steps),
            "riemann_right" => Riemann(steps, k => (k + 1.0) / steps, _ => 1.0 / steps),
            "riemann_middle" => Riemann(steps, k => (k + 0.5) / steps, _ => 1.0 / steps),
            _ => throw new ArgumentException($"Integrated Gradients has no method '{name}'; use one of {string.Join(", ", Names)}."),
        };
    }

    /// <summary>
    /// The <paramref name="n"/>-point Gauss–Legendre rule mapped from <c>[−1,1]</c> to <c>[0,1]</c>: <c>α = (1 + t)/2</c>,
    /// <c>w = v/2</c>, where <c>t</c> are the roots of the Legendre polynomial <c>P_n</c> and <c>v = 2/((1 − t²)·P_n'(t)²)</c>.
    /// The roots are found by Newton's method from the usual asymptotic guesses <c>cos(π(k + 3/4)/(n + 1/2))</c>, one per
    /// root of the positive half; the negative half follows by symmetry. Exact for polynomials of degree ≤ 2n − 1.
    /// </summary>
    internal static PathQuadrature GaussLegendre(int n)
    {
        var alphas = new double[n];
        var weights = new double[n];
        for (var k = 0; k < (n + 1) / 2; k++)
        {
            var t = Math.Cos(Math.PI * (k + 0.75) / (n + 0.5));
            double derivative;
            for (var iteration = 0; ; iteration++)
            {
                (var value, derivative) = Legendre(n, t);
                var step = value / derivative;
                t -= step;
                if (Math.Abs(step) <= 1e-15 || iteration == 100)
                {
                    (_, derivative) = Legendre(n, t);
                    break;
                }
            }

            var v = 2 / ((1 - (t * t)) * derivative * derivative);

            // Roots descend from near 1 as k grows: t goes to slot n−1−k, −t to slot k (for odd n the middle root is 0).
            alphas[n - 1 - k] = (1 + t) / 2;
            alphas[k] = (1 - t) / 2;
            weights[n - 1 - k] = weights[k] = v / 2;
        }

        return new PathQuadrature(alphas, weights);
    }

    /// <summary><c>P_n(t)</c> and <c>P_n'(t)</c> by the three-term recurrence <c>k·P_k = (2k − 1)·t·P_{k−1} − (k − 1)·P_{k−2}</c>.</summary>
    private static (double Value, double Derivative) Legendre(int n, double t)
    {
        double previous = 1, current = t;
        if (n == 0)
        {
            return (1, 0);
        }

        for (var k = 2; k <= n; k++)
        {
            (previous, current) = (current, (((2 * k) - 1) * t * current - ((k - 1) * previous)) / k);
        }

        // P_n'(t) = n·(t·P_n − P_{n−1})/(t² − 1); at t = 0 (odd n's middle root) this form is still well defined.
        return (current, n * ((t * current) - previous) / ((t * t) - 1));
    }

    private static PathQuadrature Riemann(int steps, Func<int, double> alpha, Func<int, double> weight) =>
        new([.. Enumerable.Range(0, steps).Select(alpha)], [.. Enumerable.Range(0, steps).Select(weight)]);
}
