using Saliency;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

// explain: every method the host serves explains an annotated model; one line per method.
// methods: the methods served, one line.
// serve <dir>: a host with hot reload that also watches <dir>; prints "ready", waits for a new method, explains with it.

// This application calls TorchSharp before it creates a host: it lets Saliency load libtorch first, so that
// libtorch's own warnings stay off stderr (README, "Quiet by default").
TorchRuntime.EnsureInitialized();
set_num_threads(1);
var mode = args.Length > 0 ? args[0] : "explain";
if (mode == "methods")
{
    using var listing = SaliencyHost.Create(new SaliencyHostOptions { HotReload = false, UseEnvironmentPluginPath = false });
    Console.WriteLine("methods: " + string.Join(",", listing.Methods.Select(m => m.Id)));
    return 0;
}

manual_seed(1);
using var model = new SmallNet();
using var images = randn(2, 3, 32, 32);
if (mode == "explain")
{
    using var host = SaliencyHost.Create(new SaliencyHostOptions { HotReload = false, UseEnvironmentPluginPath = false });
    Console.WriteLine("methods: " + string.Join(",", host.Methods.Select(m => m.Id)));
    var failures = 0;
    foreach (var method in host.Methods)
    {
        try
        {
            using var result = host.Explain(model, images, new ExplainRequest(method.Id) { Targets = [1, 2] });
            var (low, high) = (result.Map.min().item<float>(), result.Map.max().item<float>());
            var ok = result.Map.shape.SequenceEqual(new long[] { 2, 32, 32 }) && low >= 0 && high <= 1;
            failures += ok ? 0 : 1;
            Console.WriteLine($"{(ok ? "ok" : "bad")} {method.Id} [{string.Join(",", result.Map.shape)}] {low:F3}..{high:F3}");
        }
        catch (Exception e)
        {
            failures++;
            Console.WriteLine($"failed {method.Id}: {e.Message}");
        }
    }

    return failures == 0 && host.Methods.Count > 0 ? 0 : 1;
}

if (mode == "serve")
{
    using var host = SaliencyHost.Create(new SaliencyHostOptions { PluginDirectories = [args[1]], UseEnvironmentPluginPath = false, ReloadDelay = TimeSpan.FromMilliseconds(200) });
    var before = host.Methods.Select(m => m.Id).ToHashSet();
    Console.WriteLine("ready");
    var deadline = DateTime.UtcNow.AddSeconds(120);
    while (DateTime.UtcNow < deadline)
    {
        if (host.Methods.FirstOrDefault(m => !before.Contains(m.Id)) is { } added)
        {
            using var result = host.Explain(model, images, new ExplainRequest(added.Id) { Targets = [1, 2] });
            Console.WriteLine($"served {added.Id} [{string.Join(",", result.Map.shape)}] {result.Map.max().item<float>():F3}");
            return 0;
        }

        Thread.Sleep(100);
    }

    Console.WriteLine("timeout: no new method was served");
    return 1;
}

Console.Error.WriteLine($"error: unknown mode '{mode}'");
return 2;

/// <summary>A user's model: convolutions, global average pooling, a Linear head (so that CAM applies too).</summary>
public sealed partial class SmallNet : Module<Tensor, Tensor>
{
    [ExplainLayer(IsDefault = true)] private readonly Sequential features;
    [ClassifierHead] private readonly Linear head;

    public SmallNet() : base(nameof(SmallNet))
    {
        features = Sequential(Conv2d(3, 8, 3, padding: 1), ReLU(), Conv2d(8, 8, 3, padding: 1), ReLU());
        head = Linear(8, 4);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => head.call(features.call(x).mean([2, 3]));

    /// <summary>A layer invoked with forward: the analyzer reports SAL009 here, once.</summary>
    public Tensor Bypass(Tensor x) => features.forward(x);
}
