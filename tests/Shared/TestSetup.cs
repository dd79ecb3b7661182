using System.Runtime.CompilerServices;
using TorchSharp;

namespace Saliency.Tests;

/// <summary>Linked into every test project that runs TorchSharp (see their project files).</summary>
internal static class TestSetup
{
    /// <summary>
    /// One libtorch thread: with two cores and a test runner in parallel, libtorch's own thread pool contends
    /// and a forward can run 13× slower.
    /// </summary>
    [ModuleInitializer]
    internal static void Initialize()
    {
        TorchRuntime.EnsureInitialized();
        torch.set_num_threads(1);
    }
}
