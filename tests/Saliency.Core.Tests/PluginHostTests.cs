using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using static TorchSharp.torch;

namespace Saliency.Tests;

public sealed class PluginHostTests : IDisposable
{
    private const string Plugin = "Saliency.TestPlugin";
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    private readonly PluginSandbox _sandbox = new();
    private readonly GapLinearNet _net = new();
    private readonly IExplainable _model;
    private readonly Tensor _input;

    public PluginHostTests()
    {
        _model = ExplainableModule.Create(_net, ["features"], "fc");
        manual_seed(5);
        _input = randn(2, 1, 4, 4);
    }

    public void Dispose()
    {
        _input.Dispose();
        _net.Dispose();
        _sandbox.Dispose();
    }

    [Fact]
    public void A_plugin_is_loaded_served_and_logged_with_its_sha256()
    {
        var path = _sandbox.Install("ConstantMapV1", Plugin);
        using var host = _sandbox.CreateHost();

        host.Methods.Select(m => m.Id).Should().Equal("constant-map");
        MapValue(host).Should().Be(0.25f);
        var sha = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));
        host.Plugins.Should().ContainSingle().Which.Should().Match<PluginInfo>(p => p.Status == PluginStatus.Loaded && p.Sha256 == sha && p.Version == 1);
        _sandbox.Logger.Messages.Should().Contain(m => m.Contains("Loaded plugin Saliency.TestPlugin") && m.Contains(sha));
    }

    [Fact]
    public void Replacing_the_assembly_swaps_in_the_new_version_without_restarting()
    {
        _sandbox.Install("ConstantMapV1", Plugin);
        using var host = _sandbox.CreateHost();
        var replaced = new ManualResetEventSlim();
        host.MethodsChanged += (_, e) =>
        {
            if (e.Replaced.Contains("constant-map"))
            {
                replaced.Set();
            }
        };
        MapValue(host).Should().Be(0.25f);

        _sandbox.Install("ConstantMapV2", Plugin);

        replaced.Wait(Bound).Should().BeTrue("the new version is served within the bound");
        MapValue(host).Should().Be(0.75f);
        host.Methods.Single().DisplayName.Should().Be("Constant map v2");
        host.Plugins.Single().Version.Should().Be(2);
    }

    [Fact]
    public void Explanations_on_several_threads_during_a_swap_all_succeed()
    {
        _sandbox.Install("ConstantMapV1", Plugin);
        using var host = _sandbox.CreateHost();
        using var stop = new CancellationTokenSource();
        var seen = new System.Collections.Concurrent.ConcurrentBag<float>();
        var errors = new System.Collections.Concurrent.ConcurrentBag<Exception>();
        var workers = Enumerable.Range(0, 4).Select(_ => new Thread(() =>
        {
            using var net = new GapLinearNet();
            var model = ExplainableModule.Create(net, ["features"], "fc");
            using var x = randn(2, 1, 4, 4);
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    seen.Add(MapValue(host, model, x));
                }
                catch (Exception e)
                {
                    errors.Add(e);
                }
            }
        })).ToArray();
        foreach (var worker in workers)
        {
            worker.Start();
        }

        SpinUntil(() => seen.Count > 10);
        _sandbox.Install("ConstantMapV2", Plugin);
        SpinUntil(() => seen.Contains(0.75f)).Should().BeTrue("v2 is eventually served");
        var afterSwap = seen.Count;
        SpinUntil(() => seen.Count > afterSwap + 10);
        stop.Cancel();
        workers.Should().OnlyContain(w => w.Join(Bound));

        errors.Should().BeEmpty();
        seen.Should().OnlyContain(v => v == 0.25f || v == 0.75f);
    }

    [Fact]
    public void An_explanation_in_flight_finishes_on_the_version_it_started_with_and_the_old_context_unloads()
    {
        _sandbox.Install("ConstantMapV1", Plugin);
        using var host = _sandbox.CreateHost();
        var entered = Path.Combine(_sandbox.Root, "entered.txt");
        var release = Path.Combine(_sandbox.Root, "release.txt");
        var oldContext = host.LoadContextOf(Plugin)!;

        var held = float.NaN;
        var inFlight = new Thread(() => held = ExplainHeld(host, entered, release));
        inFlight.Start();
        SpinUntil(() => File.Exists(entered)).Should().BeTrue();
        _sandbox.Install("ConstantMapV2", Plugin);
        SpinUntil(() => host.Plugins.Single().Version == 2).Should().BeTrue();
        MapValue(host).Should().Be(0.75f, "new explanations use v2 while v1 is still running");
        File.WriteAllText(release, "go");

        inFlight.Join(Bound).Should().BeTrue();
        held.Should().Be(0.25f, "the explanation finishes on v1");
        SpinUntil(() =>
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            return !oldContext.IsAlive;
        }).Should().BeTrue("the replaced version's load context is released once nothing uses it");
    }

    [Fact]
    public void A_methods_changed_handler_may_call_back_into_the_host_from_another_thread()
    {
        using var host = _sandbox.CreateHost();
        var answered = new ManualResetEventSlim();
        host.MethodsChanged += (_, e) =>
        {
            if (!e.Added.Contains("constant-map"))
            {
                return;
            }

            // The event is raised after the catalog's and the registry's locks are released: another thread that
            // reads the plugins or registers a method while the handler waits for it is not blocked.
            var other = Task.Run(() =>
            {
                _ = host.Plugins;
                host.Register(new ConstantMethod("echo-constant-map"));
            });
            if (other.Wait(Bound))
            {
                answered.Set();
            }
        };

        _sandbox.Install("ConstantMapV1", Plugin);

        answered.Wait(Bound).Should().BeTrue("the handler's call back into the host completed");
        host.Methods.Select(m => m.Id).Should().Contain(["constant-map", "echo-constant-map"]);
    }

    [Fact]
    public void A_new_plugin_folder_is_discovered()
    {
        using var host = _sandbox.CreateHost();
        host.Methods.Should().BeEmpty();
        var added = new ManualResetEventSlim();
        host.MethodsChanged += (_, e) =>
        {
            if (e.Added.Contains("constant-map"))
            {
                added.Set();
            }
        };

        _sandbox.Install("ConstantMapV1", Plugin);

        added.Wait(Bound).Should().BeTrue();
        MapValue(host).Should().Be(0.25f);
    }

    [Fact]
    public void A_corrupt_plugin_is_reported_with_its_path_and_the_host_keeps_serving()
    {
        _sandbox.Install("ConstantMapV1", Plugin);
        var broken = Path.Combine(_sandbox.Root, "Broken");
        Directory.CreateDirectory(broken);
        File.WriteAllBytes(Path.Combine(broken, "Broken.dll"), [.. Enumerable.Range(0, 4096).Select(i => (byte)(i * 31))]);

        using var host = _sandbox.CreateHost();

        var info = host.Plugins.Single(p => p.Name == "Broken");
        info.Status.Should().Be(PluginStatus.Failed);
        info.Error.Should().Contain("not a valid .NET assembly");
        _sandbox.Logger.Messages.Should().Contain(m => m.Contains(Path.Combine(broken, "Broken.dll")) && m.Contains("failed to load"));
        MapValue(host).Should().Be(0.25f);
    }

    [Fact]
    public void A_half_written_assembly_keeps_the_old_version_serving_and_is_retried_once_complete()
    {
        var path = _sandbox.Install("ConstantMapV1", Plugin);
        using var host = _sandbox.CreateHost();
        var v2 = File.ReadAllBytes(Path.Combine(PluginSandbox.BuiltPlugin("ConstantMapV2"), Plugin + ".dll"));

        using (var stream = new FileStream(path, FileMode.Create, FileAccess.Write))
        {
            stream.Write(v2, 0, v2.Length / 2);
            stream.Flush();
            SpinUntil(() => host.Plugins.Single().Status == PluginStatus.Failed, TimeSpan.FromSeconds(5));
            MapValue(host).Should().Be(0.25f, "v1 serves while v2 is incomplete");
            stream.Write(v2, v2.Length / 2, v2.Length - (v2.Length / 2));
        }

        SpinUntil(() => host.Plugins.Single() is { Status: PluginStatus.Loaded, Version: 2 }).Should().BeTrue();
        MapValue(host).Should().Be(0.75f);
    }

    [Fact]
    public void A_constructor_that_throws_and_a_wrong_contract_version_are_reported_not_fatal()
    {
        _sandbox.Install("ThrowingConstructor", "Saliency.TestPlugin.ThrowingConstructor");
        _sandbox.Install("FutureContract", "Saliency.TestPlugin.FutureContract");
        _sandbox.Install("ConstantMapV1", Plugin);

        using var host = _sandbox.CreateHost();

        host.Plugins.Single(p => p.Name.EndsWith("ThrowingConstructor")).Error.Should().Contain("constructor").And.Contain("no configuration found");
        host.Plugins.Single(p => p.Name.EndsWith("FutureContract")).Error.Should().Contain($"contract version {SaliencyContract.Version + 98}").And.Contain("rebuild");
        host.Methods.Select(m => m.Id).Should().Equal("constant-map");
    }

    [Theory]
    [InlineData("faulty-throw", "*'faulty-throw'*Saliency.TestPlugin.Faulty.dll*failed: InvalidOperationException: the method broke*")]
    [InlineData("faulty-shape", "*'faulty-shape'*map of shape [2,5,4]*expected [B,H,W] = [2,4,4]*")]
    [InlineData("faulty-range", "*'faulty-range'*values in [2, 2]*")]
    public void A_method_that_throws_or_returns_a_malformed_result_is_reported_and_the_host_keeps_serving(string method, string message)
    {
        _sandbox.Install("Faulty", "Saliency.TestPlugin.Faulty");
        _sandbox.Install("ConstantMapV1", Plugin);
        using var host = _sandbox.CreateHost();
        var live = TensorAssert.LiveTensors();

        var act = () => host.Explain(_model, _input, new ExplainRequest(method));

        act.Should().Throw<SaliencyException>().WithMessage(message);
        TensorAssert.LiveTensors().Should().Be(live, "a failed explanation leaves nothing behind");
        MapValue(host).Should().Be(0.25f);
    }

    [Fact]
    public void An_unknown_method_suggests_the_nearest()
    {
        _sandbox.Install("ConstantMapV1", Plugin);
        using var host = _sandbox.CreateHost();
        var act = () => host.Explain(_model, _input, new ExplainRequest("constant-mpa"));
        act.Should().Throw<UnknownMethodException>().WithMessage("*No method 'constant-mpa'*Did you mean 'constant-map'?*");
    }

    [Fact]
    public void With_no_plugins_an_unknown_method_says_where_plugins_come_from_in_library_terms()
    {
        using var host = _sandbox.CreateHost();
        var act = () => host.Explain(_model, _input, new ExplainRequest("grad-cam"));
        var message = act.Should().Throw<UnknownMethodException>().Which.Message;
        message.Should().Contain("Loaded methods: none (no method plugins were found in the host's plugin directories")
            .And.Contain(SaliencyHost.PluginPathVariable).And.Contain(nameof(SaliencyHostOptions.PluginDirectories));
        message.Should().NotContainAny("solution", "build.sh", "--");
    }

    [Fact]
    public void A_plugin_directory_writable_by_others_is_refused_unless_allowed()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        _sandbox.Install("ConstantMapV1", Plugin);
        File.SetUnixFileMode(Path.Combine(_sandbox.Root, Plugin), (UnixFileMode)0b111_111_111);

        using (var host = _sandbox.CreateHost())
        {
            host.Methods.Should().BeEmpty();
            host.Plugins.Single().Should().Match<PluginInfo>(p => p.Status == PluginStatus.Refused && p.Error!.Contains("writable by others") && p.Error.Contains("chmod go-w"));
        }

        using var allowed = _sandbox.CreateHost(o => o with { AllowWritablePluginDirectories = true });
        MapValue(allowed).Should().Be(0.25f);
    }

    [Fact]
    public void A_plugin_folder_symlinked_into_a_directory_writable_by_others_is_refused_by_its_real_path()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var shared = Directory.CreateTempSubdirectory("saliency-shared-").FullName;
        try
        {
            var real = Path.Combine(shared, Plugin);
            Directory.CreateDirectory(real);
            foreach (var file in Directory.GetFiles(PluginSandbox.BuiltPlugin("ConstantMapV1")))
            {
                File.Copy(file, Path.Combine(real, Path.GetFileName(file)));
            }

            File.SetUnixFileMode(real, (UnixFileMode)0b111_101_101);
            File.SetUnixFileMode(shared, (UnixFileMode)0b111_111_111);
            Directory.CreateSymbolicLink(Path.Combine(_sandbox.Root, Plugin), real);

            using var host = _sandbox.CreateHost();

            host.Methods.Should().BeEmpty();
            var info = host.Plugins.Single();
            info.Status.Should().Be(PluginStatus.Refused);
            info.Error.Should().StartWith($"{shared}, a folder above {real} ({Path.Combine(_sandbox.Root, Plugin)} resolves to {real}), is writable by others")
                .And.Contain($"chmod go-w {shared}");
        }
        finally
        {
            File.SetUnixFileMode(shared, (UnixFileMode)0b111_000_000);
            Directory.Delete(shared, recursive: true);
        }
    }

    [Fact]
    public void A_plugin_directory_made_writable_while_serving_keeps_the_verified_version_and_reports_the_refusal()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var assembly = _sandbox.Install("ConstantMapV1", Plugin);
        using var host = _sandbox.CreateHost();
        MapValue(host).Should().Be(0.25f);
        var folder = Path.Combine(_sandbox.Root, Plugin);

        File.SetUnixFileMode(folder, (UnixFileMode)0b111_111_111);
        _sandbox.Install("ConstantMapV2", Plugin);
        var deadline = DateTime.UtcNow + Bound;
        while (host.Plugins.Single().Status != PluginStatus.Refused && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(20);
        }

        var info = host.Plugins.Single();
        info.Status.Should().Be(PluginStatus.Refused);
        info.Error.Should().Be($"{folder} is writable by others, so anyone who can write there could run code in this process; fix with 'chmod go-w {folder}' or set AllowWritablePluginDirectories; version 1 (verified when loaded) keeps serving");
        info.Methods.Should().Equal("constant-map");
        MapValue(host).Should().Be(0.25f, "the verified version 1 still serves");
        _sandbox.Logger.Messages.Should().Contain(m => m.Contains($"Plugin {assembly} refused: {folder} is writable by others", StringComparison.Ordinal));
    }

    [Fact]
    public void With_an_allow_list_only_listed_hashes_load()
    {
        var path = _sandbox.Install("ConstantMapV1", Plugin);
        var sha = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));

        using (var host = _sandbox.CreateHost(o => o with { AllowedSha256 = [new string('0', 64)] }))
        {
            host.Methods.Should().BeEmpty();
            host.Plugins.Single().Error.Should().Contain(sha).And.Contain("allow-list");
        }

        using var allowed = _sandbox.CreateHost(o => o with { AllowedSha256 = [sha.ToUpperInvariant()] });
        MapValue(allowed).Should().Be(0.25f);
    }

    private float MapValue(SaliencyHost host) => MapValue(host, _model, _input);

    private static float MapValue(SaliencyHost host, IExplainable model, Tensor input)
    {
        using var result = host.Explain(model, input, new ExplainRequest("constant-map"));
        using var mean = result.Map.mean();
        return mean.item<float>();
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private float ExplainHeld(SaliencyHost host, string entered, string release)
    {
        using var result = host.Explain(_model, _input, new ExplainRequest("constant-map")
        {
            Options = new Dictionary<string, string> { ["entered-file"] = entered, ["release-file"] = release },
        });
        using var mean = result.Map.mean();
        return mean.item<float>();
    }

    private static bool SpinUntil(Func<bool> condition, TimeSpan? bound = null) => SpinWait.SpinUntil(() =>
    {
        if (condition())
        {
            return true;
        }

        Thread.Sleep(20);
        return false;
    }, bound ?? Bound);

    /// <summary>A method registered in process: a map of 0.5 everywhere.</summary>
    private sealed class ConstantMethod(string id) : ISaliencyMethod
    {
        public MethodDescriptor Descriptor { get; } = new(id, "Constant", "A constant map, for host tests.", MethodRequirements.None);

        public SaliencyResult Explain(IExplanationContext context) =>
            context.Result(zeros(context.Input.shape[0], 1), full(context.Input.shape[0], context.InputHeight, context.InputWidth, 0.5f));
    }
}
