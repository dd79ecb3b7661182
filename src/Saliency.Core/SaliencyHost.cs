using System.Collections.Immutable;
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

    private readonly object _registryGate = new();
    private readonly ILogger _logger;
    private readonly bool _evalMode;
    private readonly KernelCheckMode _kernelCheck;
    private readonly KernelGuard _kernelGuard;
    private int _kernelsReported;
    private PluginCatalog? _catalog;
    private ImmutableDictionary<string, MethodEntry> _methods = ImmutableDictionary.Create<string, MethodEntry>(StringComparer.Ordinal);
    private bool _disposed;

    private SaliencyHost(SaliencyHostOptions options)
    {
        _logger = options.Logger ?? NullLogger.Instance;
        _evalMode = options.EvalMode;
        _kernelCheck = options.KernelCheck;
        _kernelGuard = options.KernelGuard ?? KernelGuard.Default;
        Device = DeviceSelector.Parse(options.Device);
    }

    /// <summary>Raised (on a background thread for hot reloads) when methods appear, disappear or are replaced.</summary>
    public event EventHandler<MethodsChangedEventArgs>? MethodsChanged;

    /// <summary>The plugin folder next to the host assembly, where the built-in methods are deployed.</summary>
    public static string DefaultPluginDirectory => Path.Combine(Path.GetDirectoryName(typeof(SaliencyHost).Assembly.Location) ?? AppContext.BaseDirectory, "plugins");

    /// <summary>The device explanations run on.</summary>
    public Device Device { get; }

    /// <summary>The methods served now, sorted by id.</summary>
    public IReadOnlyList<MethodDescriptor> Methods => [.. _methods.Values.Select(e => e.Descriptor).OrderBy(d => d.Id, StringComparer.Ordinal)];

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
        host._catalog = new PluginCatalog(Directories(options), options, host._logger, host.Publish);
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
        lock (_registryGate)
        {
            if (_methods.TryGetValue(descriptor.Id, out var existing))
            {
                throw new ArgumentException($"Method '{descriptor.Id}' is already served (from {existing.Source}).", nameof(method));
            }

            _methods = _methods.Add(descriptor.Id, new MethodEntry(method, descriptor, "registered in process"));
        }

        Raise([descriptor.Id], [], []);
    }

    /// <summary>
    /// Checks the device's convolution kernels against float64 (once per process, device and thread count) as
    /// <see cref="SaliencyHostOptions.KernelCheck"/> says; <see cref="Explain(IExplainable, Tensor, ExplainRequest)"/>
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
            _logger.LogInformation("Kernel self-check on {Device}: {Summary} ({Milliseconds:F0} ms)", status.Device, status.Final.Summary, status.Initial.Elapsed.TotalMilliseconds + (status.Final == status.Initial ? 0 : status.Final.Elapsed.TotalMilliseconds));
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
    public SaliencyResult Explain(IExplainable model, Tensor input, ExplainRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return Explain(model, input, [request])[0];
    }

    /// <summary>
    /// Explains a batch with several requests (methods, target sets, layers) at once. Requests at the same layer
    /// share one forward pass, and requests for the same gradient share one backward pass.
    /// </summary>
    /// <param name="model">The model.</param>
    /// <param name="input">The batch <c>[B,C,H,W]</c>.</param>
    /// <param name="requests">The requests.</param>
    /// <returns>One result per request, in order; the caller owns and disposes them.</returns>
    public IReadOnlyList<SaliencyResult> Explain(IExplainable model, Tensor input, IReadOnlyList<ExplainRequest> requests)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(requests);
        ObjectDisposedException.ThrowIf(_disposed, this);
        var methods = _methods;
        var plans = requests.Select((request, index) => MakePlan(methods, model, request, index)).ToList();
        var kernelWarning = CheckKernels()?.Warning;
        ForwardPass.MoveTo(model, Device);

        var results = new SaliencyResult?[requests.Count];
        try
        {
            foreach (var group in Group(plans))
            {
                using var scope = NewDisposeScope();
                using var passes = new SharedPasses(ForwardPass.Run(model, input, group.Layer, group.Needs, _evalMode), _evalMode);
                foreach (var plan in group.Plans)
                {
                    var targets = passes.Pass.ResolveTargets(plan.Request.Targets);
                    var context = new ExplanationContext(passes, plan.Request, plan.Entry.Descriptor.Id, UsesLayer(plan.Needs), plan.Layer, targets, (id, parent) => Invoke(methods, id, parent));
                    results[plan.Index] = WithWarning(Run(plan.Entry, context), kernelWarning);
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

        return results!;
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

    private static bool UsesLayer(MethodRequirements needs) => (needs & MethodRequirements.LayerActivations) != 0;

    private static SaliencyException Unknown(ImmutableDictionary<string, MethodEntry> methods, string id)
    {
        var suggestion = NameSuggestions.Nearest(id, methods.Keys);
        var list = methods.IsEmpty ? $"none (no method plugins were found in the host's plugin directories, which come from the plugins folder next to Saliency.Core.dll, {PluginPathVariable} and SaliencyHostOptions.PluginDirectories)" : string.Join(", ", methods.Keys.Order(StringComparer.Ordinal));
        return new UnknownMethodException(id, $"No method '{id}' is loaded.{NameSuggestions.DidYouMean(suggestion)} Loaded methods: {list}.", suggestion);
    }

    private static MethodRequirements Needs(ImmutableDictionary<string, MethodEntry> methods, MethodEntry entry, HashSet<string>? visiting = null)
    {
        visiting ??= new HashSet<string>(StringComparer.Ordinal);
        if (!visiting.Add(entry.Descriptor.Id))
        {
            throw new SaliencyException($"Method '{entry.Descriptor.Id}' composes itself (through {string.Join(" → ", visiting)}).");
        }

        var needs = entry.Descriptor.Requirements;
        foreach (var id in entry.Descriptor.Composes)
        {
            if (!methods.TryGetValue(id, out var composed))
            {
                throw new SaliencyException($"Method '{entry.Descriptor.Id}' ({entry.Source}) needs method '{id}', which is not loaded.");
            }

            needs |= Needs(methods, composed, visiting);
        }

        visiting.Remove(entry.Descriptor.Id);
        return needs;
    }

    private static List<PassGroup> Group(List<Plan> plans)
    {
        var groups = new List<PassGroup>();
        foreach (var plan in plans.Where(p => UsesLayer(p.Needs)))
        {
            var group = groups.FirstOrDefault(g => g.Layer == plan.Layer);
            if (group is null)
            {
                group = new PassGroup(plan.Layer);
                groups.Add(group);
            }

            group.Add(plan);
        }

        var free = plans.Where(p => !UsesLayer(p.Needs)).ToList();
        if (free.Count > 0)
        {
            var target = groups.FirstOrDefault() ?? new PassGroup(null);
            if (groups.Count == 0)
            {
                groups.Add(target);
            }

            foreach (var plan in free)
            {
                target.Add(plan);
            }
        }

        foreach (var group in groups)
        {
            group.Plans.Sort((a, b) => a.Index.CompareTo(b.Index));
        }

        return groups;
    }

    private Plan MakePlan(ImmutableDictionary<string, MethodEntry> methods, IExplainable model, ExplainRequest request, int index)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!methods.TryGetValue(request.Method, out var entry))
        {
            throw Unknown(methods, request.Method);
        }

        var layer = request.Layer ?? model.DefaultLayer;
        _ = model.GetLayer(layer);
        return new Plan(index, request, entry, layer, Needs(methods, entry));
    }

    private SaliencyResult Invoke(ImmutableDictionary<string, MethodEntry> methods, string id, ExplanationContext parent)
    {
        if (!methods.TryGetValue(id, out var entry))
        {
            throw Unknown(methods, id);
        }

        var child = parent.Child(id, UsesLayer(Needs(methods, entry)));
        return Run(entry, child);
    }

    private SaliencyResult Run(MethodEntry entry, ExplanationContext context)
    {
        var id = entry.Descriptor.Id;
        SaliencyResult? result;
        try
        {
            using var scope = NewDisposeScope();
            result = entry.Method.Explain(context);
        }
        catch (Exception e) when (e is not (SaliencyException or ArgumentException or OutOfMemoryException))
        {
            _logger.LogError(e, "Method {Method} from {Source} failed", id, entry.Source);
            throw new SaliencyException($"Method '{id}' ({entry.Source}) failed: {e.GetType().Name}: {e.Message}", e);
        }

        var problem = result is null ? "returned no result" : ShapeProblem(result, context);
        if (problem is not null)
        {
            result?.Dispose();
            _logger.LogError("Method {Method} from {Source} returned a malformed result: {Problem}", id, entry.Source, problem);
            throw new SaliencyException($"Method '{id}' ({entry.Source}) {problem}.");
        }

        foreach (var warning in result!.Warnings)
        {
            _logger.LogWarning("{Method}: {Warning}", id, warning);
        }

        return result;
    }

    /// <summary>The result with <paramref name="warning"/> first among its warnings (the same tensors, now owned by the new result).</summary>
    private static SaliencyResult WithWarning(SaliencyResult result, string? warning) =>
        warning is null || result.Warnings.Contains(warning, StringComparer.Ordinal)
            ? result
            : new SaliencyResult(result.Method, result.Layer, result.Targets, result.Raw, result.Map, [warning, .. result.Warnings]);

    private static string? ShapeProblem(SaliencyResult result, ExplanationContext context)
    {
        var batch = context.Input.shape[0];
        long[] expected = [batch, context.InputHeight, context.InputWidth];
        if (!result.Map.shape.SequenceEqual(expected))
        {
            return $"returned a map of shape [{string.Join(",", result.Map.shape)}]; expected [B,H,W] = [{string.Join(",", expected)}]";
        }

        if (result.Raw.dim() == 0 || result.Raw.shape[0] != batch)
        {
            return $"returned raw output of shape [{string.Join(",", result.Raw.shape)}]; its first dimension must be the batch size {batch}";
        }

        if (!result.Map.is_floating_point())
        {
            return $"returned a {result.Map.dtype} map; maps are floating-point";
        }

        using var scope = NewDisposeScope();
        if (!result.Map.isfinite().all().item<bool>())
        {
            return "returned a map with NaN or infinite values";
        }

        var (min, max) = (result.Map.min().item<float>(), result.Map.max().item<float>());
        return min < -1e-5f || max > 1 + 1e-5f ? $"returned a map with values in [{min}, {max}]; maps lie in [0,1]" : null;
    }

    private void Publish(string source, IReadOnlyList<MethodEntry>? entries)
    {
        string[] added, removed, replaced;
        lock (_registryGate)
        {
            var ownedBefore = _methods.Where(kv => kv.Value.Source.StartsWith(source + Path.DirectorySeparatorChar, StringComparison.Ordinal)).Select(kv => kv.Key).ToHashSet(StringComparer.Ordinal);
            var incoming = entries ?? [];
            foreach (var entry in incoming)
            {
                if (_methods.TryGetValue(entry.Descriptor.Id, out var existing) && !ownedBefore.Contains(entry.Descriptor.Id))
                {
                    throw new SaliencyException($"method id '{entry.Descriptor.Id}' is already served by {existing.Source}");
                }
            }

            var builder = _methods.ToBuilder();
            foreach (var id in ownedBefore)
            {
                builder.Remove(id);
            }

            foreach (var entry in incoming)
            {
                builder[entry.Descriptor.Id] = entry;
            }

            _methods = builder.ToImmutable();
            var now = incoming.Select(e => e.Descriptor.Id).ToHashSet(StringComparer.Ordinal);
            added = [.. now.Except(ownedBefore)];
            removed = [.. ownedBefore.Except(now)];
            replaced = [.. now.Intersect(ownedBefore)];
        }

        Raise(added, removed, replaced);
    }

    private void Raise(string[] added, string[] removed, string[] replaced)
    {
        try
        {
            MethodsChanged?.Invoke(this, new MethodsChangedEventArgs(added, removed, replaced));
        }
        catch (Exception e)
        {
            _logger.LogError(e, "A MethodsChanged handler threw");
        }
    }

    private sealed record Plan(int Index, ExplainRequest Request, MethodEntry Entry, string Layer, MethodRequirements Needs);

    private sealed class PassGroup(string? layer)
    {
        public string? Layer { get; } = layer;

        public MethodRequirements Needs { get; private set; }

        public List<Plan> Plans { get; } = [];

        public void Add(Plan plan)
        {
            Plans.Add(plan);
            Needs |= plan.Needs;
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
