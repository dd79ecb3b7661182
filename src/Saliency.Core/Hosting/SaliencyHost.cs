using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using static TorchSharp.torch;

namespace Saliency;

/// <summary>
/// Serves saliency methods loaded from plugins (hot-reloaded) and explains models with them: one forward pass
/// per batch shared by every requested method, one backward per kind of gradient.
/// </summary>
/// <example>
/// <code>
/// using var host = SaliencyHost.Create();
/// using var result = host.Explain(model, images, new ExplainRequest("grad-cam") { Targets = [281, 285] });
/// Tensor heatmaps = result.Map;   // [B,H,W] in [0,1]
/// </code>
/// </example>
public sealed class SaliencyHost : IDisposable
{
    /// <summary>The environment variable listing extra plugin directories, separated like <c>PATH</c>.</summary>
    public const string PluginPathVariable = "SALIENCY_PLUGIN_PATH";

    private readonly ILogger _logger;
    private readonly bool _evalMode;
    private readonly KernelCheckMode _kernelCheck;
    private readonly KernelGuard _kernelGuard;
    private readonly MethodRegistry _registry = new();
    private readonly MethodInvoker _invoker;
    private PluginCatalog? _catalog;
    private int _kernelsReported;
    private bool _disposed;

    private SaliencyHost(SaliencyHostOptions options)
    {
        _logger = options.Logger ?? NullLogger.Instance;
        _evalMode = options.EvalMode;
        _kernelCheck = options.KernelCheck;
        _kernelGuard = options.KernelGuard ?? KernelGuard.Default;
        _invoker = new MethodInvoker(_logger);
        Device = DeviceSelector.Parse(options.Device);
    }

    /// <summary>Raised (on a background thread for hot reloads) when methods appear, disappear or are replaced; never under the host's locks.</summary>
    public event EventHandler<MethodsChangedEventArgs>? MethodsChanged;

    /// <summary>The plugin folder next to the host assembly, where the built-in methods are deployed.</summary>
    public static string DefaultPluginDirectory => Path.Combine(Path.GetDirectoryName(typeof(SaliencyHost).Assembly.Location) ?? AppContext.BaseDirectory, "plugins");

    /// <summary>The device explanations run on.</summary>
    public Device Device { get; }

    /// <summary>The methods served now, sorted by id.</summary>
    public IReadOnlyList<MethodDescriptor> Methods => [.. _registry.Snapshot.Values.Select(e => e.Descriptor).OrderBy(d => d.Id, StringComparer.Ordinal)];

    /// <summary>Every plugin folder seen, with its status, hash and (for failures) the reason.</summary>
    public IReadOnlyList<PluginInfo> Plugins => _catalog?.Plugins ?? [];

    /// <summary>The plugin directories this host loads from, in order.</summary>
    public IReadOnlyList<string> PluginDirectories => _catalog?.Roots ?? [];

    /// <summary>Creates a host and loads the plugins of its directories.</summary>
    /// <param name="options">Directories, device, hot reload and security settings; defaults when <see langword="null"/>.</param>
    /// <returns>The host. Dispose it to stop watching and unload the plugins.</returns>
    /// <exception cref="SaliencyNativeLibraryException">TorchSharp's native library cannot load.</exception>
    /// <exception cref="ArgumentException">The device is not available.</exception>
    public static SaliencyHost Create(SaliencyHostOptions? options = null)
    {
        options ??= new SaliencyHostOptions();
        TorchRuntime.EnsureInitialized();
        var host = new SaliencyHost(options);
        host._catalog = new PluginCatalog(Directories(options), options, host._logger, host._registry, host.Raise);
        host._catalog.Start();
        return host;
    }

    /// <summary>Serves a method from this process (no plugin), for example one defined in the application.</summary>
    /// <param name="method">The method.</param>
    /// <exception cref="ArgumentException">Its id is already served.</exception>
    public void Register(ISaliencyMethod method)
    {
        ArgumentNullException.ThrowIfNull(method);
        var descriptor = method.Descriptor;
        var owner = new MethodOwner($"{MethodOwner.InProcess.Key}:{descriptor.Id}");
        if (!_registry.TryPublish(owner, [new MethodEntry(method, descriptor, "registered in process", owner)], out var change, out _))
        {
            var existing = _registry.Snapshot[descriptor.Id];
            throw new ArgumentException($"Method '{descriptor.Id}' is already served (from {existing.Source}).", nameof(method));
        }

        Raise(change);
    }

    /// <summary>
    /// Checks the device's convolution kernels against float64 (once per process, device and thread count) as
    /// <see cref="SaliencyHostOptions.KernelCheck"/> says; <see cref="Explain(IExplainable, Tensor, ExplainRequest, CancellationToken)"/>
    /// does this before its first pass. Call it at start to pay the few tens of milliseconds, and to see the warning,
    /// before the first image.
    /// </summary>
    /// <returns>What was found and done, or <see langword="null"/> when the check is off and nobody ran it.</returns>
    /// <exception cref="KernelCheckException">The kernels are wrong and there is no correct route (or the check is Strict).</exception>
    public KernelStatus? CheckKernels()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var status = _kernelGuard.Ensure(Device, _kernelCheck);
        if (status is not null && Interlocked.Exchange(ref _kernelsReported, 1) == 0)
        {
            var milliseconds = status.Initial.Elapsed.TotalMilliseconds + (ReferenceEquals(status.Final, status.Initial) ? 0 : status.Final.Elapsed.TotalMilliseconds);
            _logger.LogInformation("Kernel self-check on {Device}: {Summary} ({Milliseconds:F0} ms)", status.Device, status.Final.Summary, milliseconds);
            if (status.Warning is { } warning)
            {
                _logger.LogWarning("{Warning}", warning);
            }
        }

        return status;
    }

    /// <summary>Explains a batch with one method.</summary>
    /// <param name="model">The model.</param>
    /// <param name="input">The batch <c>[B,C,H,W]</c>.</param>
    /// <param name="request">The method, targets, layer and options.</param>
    /// <returns>The result; the caller owns and disposes it.</returns>
    /// <exception cref="ArgumentException">Unknown method or layer, or bad input or targets (the message suggests the fix).</exception>
    /// <exception cref="SaliencyException">The method cannot explain this model, or it failed.</exception>
    public SaliencyResult Explain(IExplainable model, Tensor input, ExplainRequest request) => Explain(model, input, request, CancellationToken.None);

    /// <summary>
    /// Explains a batch with several requests (methods, targets, layers) at once. Requests at the same layer share
    /// one forward pass, and requests for the same gradient share one backward pass.
    /// </summary>
    /// <param name="model">The model.</param>
    /// <param name="input">The batch <c>[B,C,H,W]</c>.</param>
    /// <param name="requests">The requests.</param>
    /// <returns>One result per request, in order; the caller owns and disposes them.</returns>
    public IReadOnlyList<SaliencyResult> Explain(IExplainable model, Tensor input, IReadOnlyList<ExplainRequest> requests) => Explain(model, input, requests, CancellationToken.None);

    /// <summary>Explains a batch with one method, stoppable.</summary>
    /// <param name="model">The model.</param>
    /// <param name="input">The batch <c>[B,C,H,W]</c>.</param>
    /// <param name="request">The method, targets, layer and options.</param>
    /// <param name="cancellation">Stops the explanation between passes and between a method's chunks.</param>
    /// <returns>The result; the caller owns and disposes it.</returns>
    /// <exception cref="ArgumentException">Unknown method or layer, or bad input or targets (the message suggests the fix).</exception>
    /// <exception cref="SaliencyException">The method cannot explain this model, or it failed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellation"/> was cancelled.</exception>
    public SaliencyResult Explain(IExplainable model, Tensor input, ExplainRequest request, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(request);
        return Explain(model, input, [request], cancellation)[0];
    }

    /// <summary>Explains a batch with several requests at once (see the overload without a token), stoppable.</summary>
    /// <param name="model">The model.</param>
    /// <param name="input">The batch <c>[B,C,H,W]</c>.</param>
    /// <param name="requests">The requests.</param>
    /// <param name="cancellation">Stops the explanation between passes and between a method's chunks.</param>
    /// <returns>One result per request, in order; the caller owns and disposes them.</returns>
    public IReadOnlyList<SaliencyResult> Explain(IExplainable model, Tensor input, IReadOnlyList<ExplainRequest> requests, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(requests);
        ObjectDisposedException.ThrowIf(_disposed, this);
        var smoothed = requests.Select(r => r is not null && AugmentationSmoothing.IsRequested(r)).ToArray();
        if (!smoothed.Any(s => s))
        {
            return ExplainPlain(model, input, requests, cancellation);
        }

        // aug-smooth: each such request is explained on its own over the augmented variants; the others share passes.
        _ = ExplanationPlanner.Plan(_registry.Snapshot, model, requests);
        var results = new SaliencyResult?[requests.Count];
        try
        {
            var plainIndices = Enumerable.Range(0, requests.Count).Where(i => !smoothed[i]).ToList();
            if (plainIndices.Count > 0)
            {
                var plain = ExplainPlain(model, input, [.. plainIndices.Select(i => requests[i])], cancellation);
                for (var i = 0; i < plainIndices.Count; i++)
                {
                    results[plainIndices[i]] = plain[i];
                }
            }

            for (var i = 0; i < requests.Count; i++)
            {
                if (smoothed[i])
                {
                    results[i] = AugmentationSmoothing.Explain(requests[i], input, (variant, request) => ExplainPlain(model, variant, [request], cancellation)[0], cancellation);
                }
            }
        }
        catch
        {
            foreach (var result in results)
            {
                result?.Dispose();
            }

            throw;
        }

        return [.. results.Select(r => r!)];
    }

    private IReadOnlyList<SaliencyResult> ExplainPlain(IExplainable model, Tensor input, IReadOnlyList<ExplainRequest> requests, CancellationToken cancellation)
    {
        var methods = _registry.Snapshot;
        var plans = ExplanationPlanner.Plan(methods, model, requests);
        var kernelWarning = CheckKernels()?.Warning;
        using var kernelSettings = KernelGuard.Pass();
        ModelSession.MoveTo(model, Device);

        var perPlan = new SaliencyResult?[plans.Count];
        try
        {
            foreach (var group in ExplanationPlanner.Group(plans))
            {
                cancellation.ThrowIfCancellationRequested();
                using var scope = NewDisposeScope();
                using var passes = new SharedPasses(ForwardPass.Run(model, input, group.Layer, group.Needs, _evalMode), _evalMode, cancellation);
                foreach (var plan in group.Plans)
                {
                    var (target, classes) = passes.Pass.ResolveTarget(plan.Request);
                    var context = new ExplanationContext(passes, plan.Request, plan.Entry.Descriptor.Id, plan.UsesLayer, plan.Layer, target, classes, (id, parent) => Invoke(methods, id, parent));
                    perPlan[plan.Slot] = _invoker.Run(plan.Entry, context);
                }
            }
        }
        catch
        {
            foreach (var result in perPlan)
            {
                result?.Dispose();
            }

            throw;
        }

        // A request explained at several layers has one result per layer: fuse them into one.
        return [.. requests.Select((_, index) => WithWarning(LayerFusion.Combine([.. plans.Where(p => p.Index == index).Select(p => perPlan[p.Slot]!)]), kernelWarning))];
    }


    /// <summary>Stops watching the plugin directories and unloads the plugins.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _catalog?.Dispose();
    }

    /// <summary>A weak reference to the load context serving a plugin, to check that replaced versions unload.</summary>
    internal WeakReference? LoadContextOf(string pluginName) => _catalog?.LoadContextOf(pluginName);

    private static IReadOnlyList<string> Directories(SaliencyHostOptions options)
    {
        var directories = new List<string>();
        if (options.UseDefaultPluginDirectory)
        {
            directories.Add(DefaultPluginDirectory);
        }

        if (options.UseEnvironmentPluginPath && Environment.GetEnvironmentVariable(PluginPathVariable) is { Length: > 0 } path)
        {
            directories.AddRange(path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        }

        directories.AddRange(options.PluginDirectories);
        return [.. directories.Select(Path.GetFullPath).Distinct(StringComparer.Ordinal)];
    }

    /// <summary>The result with <paramref name="warning"/> first among its warnings (the same tensors, now owned by the new result).</summary>
    private static SaliencyResult WithWarning(SaliencyResult result, string? warning) =>
        warning is null || result.Warnings.Contains(warning, StringComparer.Ordinal)
            ? result
            : new SaliencyResult(result.Method, result.Layer, result.Targets, result.Raw, result.Map, [warning, .. result.Warnings]);

    private SaliencyResult Invoke(System.Collections.Immutable.ImmutableDictionary<string, MethodEntry> methods, string id, ExplanationContext parent)
    {
        var entry = ExplanationPlanner.Find(methods, id);
        var child = parent.Child(id, ExplanationPlanner.UsesLayer(ExplanationPlanner.Needs(methods, entry)));
        return _invoker.Run(entry, child);
    }

    private void Raise(MethodChange change)
    {
        if (change.IsEmpty)
        {
            return;
        }

        try
        {
            MethodsChanged?.Invoke(this, new MethodsChangedEventArgs(change.Added, change.Removed, change.Replaced));
        }
        catch (Exception e)
        {
            _logger.LogError(e, "A MethodsChanged handler threw");
        }
    }
}

/// <summary>A method id that no loaded plugin serves.</summary>
public sealed class UnknownMethodException : SaliencyException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="method">The id asked for.</param>
    /// <param name="message">The message, listing the loaded methods.</param>
    /// <param name="suggestion">The nearest loaded id, if one is close.</param>
    public UnknownMethodException(string method, string message, string? suggestion)
        : base(message)
    {
        Method = method;
        Suggestion = suggestion;
    }

    /// <summary>The id asked for.</summary>
    public string Method { get; }

    /// <summary>The nearest loaded id, if one is close.</summary>
    public string? Suggestion { get; }
}
