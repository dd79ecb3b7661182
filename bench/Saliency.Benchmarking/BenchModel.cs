using TorchSharp;
using static TorchSharp.torch;

namespace Saliency.Benchmarking;

/// <summary>
/// The benchmark's model and inputs: TorchVision's <c>resnet18</c> with random weights in eval mode, explained at
/// <c>layer4</c> with head <c>fc</c>, and seeded random batches of <c>[B,3,224,224]</c> on one device.
/// </summary>
public sealed class BenchModel : IDisposable
{
    /// <summary>The explained layer.</summary>
    public const string Layer = "layer4";

    /// <summary>The classifier head (for CAM).</summary>
    public const string Head = "fc";

    private readonly Dictionary<int, Tensor> _inputs = [];
    private readonly int _seed;
    private bool _disposed;

    private BenchModel(nn.Module<Tensor, Tensor> module, IExplainable explainable, Device device, int imageSize, int seed)
    {
        Module = module;
        Explainable = explainable;
        Device = device;
        ImageSize = imageSize;
        _seed = seed;
    }

    /// <summary>The plain TorchSharp module (what the floors run).</summary>
    public nn.Module<Tensor, Tensor> Module { get; }

    /// <summary>The same module as the host sees it.</summary>
    public IExplainable Explainable { get; }

    /// <summary>The device of the parameters and inputs.</summary>
    public Device Device { get; }

    /// <summary>The input height and width.</summary>
    public int ImageSize { get; }

    /// <summary>Builds the model on <paramref name="device"/>.</summary>
    /// <param name="device">Where the model and inputs live.</param>
    /// <param name="imageSize">Input height and width (224 in the published tables).</param>
    /// <param name="seed">Seeds the weights and the inputs, so that runs are repeatable.</param>
    /// <returns>The model; dispose it to free its parameters and inputs.</returns>
    public static BenchModel Create(Device device, int imageSize = 224, int seed = 0)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentOutOfRangeException.ThrowIfLessThan(imageSize, 32);
        TorchRuntime.EnsureInitialized();
        torch.manual_seed(seed);
        var module = torchvision.models.resnet18();
        module.eval();
        module.to(device);
        var explainable = ExplainableModule.Create(module, [Layer], classifierHead: Head);
        return new BenchModel(module, explainable, device, imageSize, seed);
    }

    /// <summary>A random batch <c>[B,3,H,W]</c> (standard normal, seeded by the batch size), created once and cached.</summary>
    /// <param name="batch">The batch size.</param>
    /// <returns>The batch, owned by this model.</returns>
    public Tensor Input(int batch)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentOutOfRangeException.ThrowIfLessThan(batch, 1);
        if (!_inputs.TryGetValue(batch, out var input))
        {
            using var generator = new Generator((ulong)(_seed + batch));
            input = torch.randn([batch, 3, ImageSize, ImageSize], generator: generator).to(Device).DetachFromDisposeScope();
            _inputs[batch] = input;
        }

        return input;
    }

    /// <summary>Waits until the device has finished its queued work (CUDA runs asynchronously; a no-op on the CPU).</summary>
    public void Synchronize()
    {
        if (Device.type == DeviceType.CUDA)
        {
            torch.cuda.synchronize(Device);
        }
    }

    /// <summary>Frees the inputs and the parameters.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        foreach (var input in _inputs.Values)
        {
            input.Dispose();
        }

        _inputs.Clear();
        Module.Dispose();
    }
}
