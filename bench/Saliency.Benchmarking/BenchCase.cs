namespace Saliency.Benchmarking;

/// <summary>
/// One thing the benchmarks time: a floor (the passes a method cannot avoid, in plain TorchSharp) or a method run
/// through <see cref="SaliencyHost"/>, compared with its floor.
/// </summary>
/// <param name="Id">The case id: <c>forward</c>, <c>layer-grad</c>, <c>input-grad</c>, <c>both-grads</c>, or a method id.</param>
/// <param name="Description">What the case runs, in a few words.</param>
/// <param name="Floor">For a method, the id of its floor; <see langword="null"/> for a floor.</param>
/// <param name="Target">For a method, the largest acceptable ratio to its floor.</param>
public sealed record BenchCase(string Id, string Description, string? Floor = null, double? Target = null)
{
    /// <summary>Forward under <c>no_grad</c>: CAM's floor.</summary>
    public static BenchCase Forward { get; } = new("forward", "forward, no_grad");

    /// <summary>Forward plus <c>autograd.grad</c> of the selected logits to the layer output: Grad-CAM's floor.</summary>
    public static BenchCase LayerGradient { get; } = new("layer-grad", "forward + grad to layer");

    /// <summary>Forward plus the gradient of the selected logits to the input: Guided Backprop's floor.</summary>
    public static BenchCase InputGradient { get; } = new("input-grad", "forward + grad to input");

    /// <summary>One forward plus both gradients (layer, then input, <c>retain_graph</c>): Guided Grad-CAM's floor.</summary>
    public static BenchCase BothGradients { get; } = new("both-grads", "forward + both grads");

    /// <summary>CAM through the host: at most 3% over a forward (it must not run a backward).</summary>
    public static BenchCase Cam { get; } = new("cam", "host.Explain cam", Forward.Id, 1.03);

    /// <summary>Grad-CAM through the host: at most 5% over forward and backward to the layer.</summary>
    public static BenchCase GradCam { get; } = new("grad-cam", "host.Explain grad-cam", LayerGradient.Id, 1.05);

    /// <summary>Guided Backprop through the host: at most 5% over forward and backward to the input.</summary>
    public static BenchCase GuidedBackprop { get; } = new("guided-backprop", "host.Explain guided-backprop", InputGradient.Id, 1.05);

    /// <summary>Guided Grad-CAM through the host: at most 5% over one forward and both backwards (it must share the forward).</summary>
    public static BenchCase GuidedGradCam { get; } = new("guided-grad-cam", "host.Explain guided-grad-cam", BothGradients.Id, 1.05);

    /// <summary>The four floors.</summary>
    public static IReadOnlyList<BenchCase> Floors { get; } = [Forward, LayerGradient, InputGradient, BothGradients];

    /// <summary>The four built-in methods, each with its floor and target.</summary>
    public static IReadOnlyList<BenchCase> Methods { get; } = [Cam, GradCam, GuidedBackprop, GuidedGradCam];

    /// <summary>Whether this case is a floor.</summary>
    public bool IsFloor => Floor is null;

    /// <summary>The built-in method with id <paramref name="method"/>.</summary>
    /// <param name="method">A method id.</param>
    /// <returns>The case.</returns>
    /// <exception cref="ArgumentException">The id is not one of the built-in methods.</exception>
    public static BenchCase ForMethod(string method) =>
        Methods.FirstOrDefault(m => string.Equals(m.Id, method, StringComparison.Ordinal))
        ?? throw new ArgumentException($"No benchmark for method '{method}'; the benchmarked methods are {string.Join(", ", Methods.Select(m => m.Id))}.", nameof(method));

    /// <summary>The floor case with id <paramref name="id"/>.</summary>
    /// <param name="id">A floor id.</param>
    /// <returns>The case.</returns>
    /// <exception cref="ArgumentException">The id is not a floor.</exception>
    public static BenchCase ForFloor(string id) =>
        Floors.FirstOrDefault(f => string.Equals(f.Id, id, StringComparison.Ordinal))
        ?? throw new ArgumentException($"No floor '{id}'; the floors are {string.Join(", ", Floors.Select(f => f.Id))}.", nameof(id));
}
