using System.Collections.Immutable;

namespace Saliency;

/// <summary>One request, resolved: its method, its layer and everything the method (and the methods it composes) needs.</summary>
/// <param name="Slot">The plan's position among all plans of the call (its result's slot).</param>
/// <param name="Index">The request's position among the requests.</param>
/// <param name="Request">The request.</param>
/// <param name="Entry">The method serving it, from the registry snapshot the call started with.</param>
/// <param name="Layer">The layer (one of the request's layers).</param>
/// <param name="Needs">What the method and the methods it composes need.</param>
internal sealed record Plan(int Slot, int Index, ExplainRequest Request, MethodEntry Entry, string Layer, MethodRequirements Needs)
{
    /// <summary>Whether the method works at a layer (and so needs that layer captured by the forward pass).</summary>
    public bool UsesLayer => ExplanationPlanner.UsesLayer(Needs);
}

/// <summary>Requests that one forward pass serves: those at the same layer, plus those that need no layer at all.</summary>
internal sealed class PassGroup(string? layer)
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

/// <summary>
/// Turns requests into plans and plans into pass groups: each request gets its method from the registry snapshot
/// (unknown ids fail here, before any pass runs), its layer checked against the model, and its needs — its own
/// descriptor's and those of every method it composes. Requests at one layer share one forward pass.
/// </summary>
internal static class ExplanationPlanner
{
    public static bool UsesLayer(MethodRequirements needs) => (needs & MethodRequirements.LayerActivations) != 0;

    /// <summary>One plan per request and layer (a request with several layers becomes one plan per layer).</summary>
    public static List<Plan> Plan(ImmutableDictionary<string, MethodEntry> methods, IExplainable model, IReadOnlyList<ExplainRequest> requests)
    {
        var plans = new List<Plan>();
        for (var index = 0; index < requests.Count; index++)
        {
            var request = requests[index] ?? throw new ArgumentNullException(nameof(requests), $"Request {index} is null.");
            var entry = Find(methods, request.Method);
            var needs = Needs(methods, entry);
            var layers = UsesLayer(needs) ? LayersOf(request, model) : [request.Layer ?? model.DefaultLayer];
            foreach (var layer in layers)
            {
                _ = model.GetLayer(layer);
                plans.Add(new Plan(plans.Count, index, request, entry, layer, needs));
            }
        }

        return plans;
    }

    /// <summary>Groups plans by layer; plans that use no layer join the first group (or form one).</summary>
    public static List<PassGroup> Group(List<Plan> plans)
    {
        var groups = new List<PassGroup>();
        foreach (var plan in plans.Where(p => p.UsesLayer))
        {
            var group = groups.FirstOrDefault(g => g.Layer == plan.Layer);
            if (group is null)
            {
                group = new PassGroup(plan.Layer);
                groups.Add(group);
            }

            group.Add(plan);
        }

        var free = plans.Where(p => !p.UsesLayer).ToList();
        if (free.Count > 0)
        {
            var target = groups.FirstOrDefault();
            if (target is null)
            {
                target = new PassGroup(null);
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

    /// <summary>The method serving <paramref name="id"/>, or an error listing the loaded ones and the nearest id.</summary>
    public static MethodEntry Find(ImmutableDictionary<string, MethodEntry> methods, string id) =>
        methods.TryGetValue(id, out var entry) ? entry : throw UnknownMethod(methods, id);

    /// <summary>What <paramref name="entry"/> needs, including every method it composes (cycles are refused).</summary>
    public static MethodRequirements Needs(ImmutableDictionary<string, MethodEntry> methods, MethodEntry entry, HashSet<string>? visiting = null)
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

    private static IEnumerable<string> LayersOf(ExplainRequest request, IExplainable model)
    {
        if (request.Layers is { Count: > 0 } layers)
        {
            if (request.Layer is not null)
            {
                throw new ArgumentException($"Request for '{request.Method}' names both Layer and Layers; use one.", nameof(request));
            }

            return layers.Distinct(StringComparer.Ordinal);
        }

        return [request.Layer ?? model.DefaultLayer];
    }

    private static UnknownMethodException UnknownMethod(ImmutableDictionary<string, MethodEntry> methods, string id)
    {
        var suggestion = NameSuggestions.Nearest(id, methods.Keys);
        var list = methods.IsEmpty ? $"none (no method plugins were found in the host's plugin directories, which come from the plugins folder next to Saliency.Core.dll, {SaliencyHost.PluginPathVariable} and SaliencyHostOptions.PluginDirectories)" : string.Join(", ", methods.Keys.Order(StringComparer.Ordinal));
        return new UnknownMethodException(id, $"No method '{id}' is loaded.{NameSuggestions.DidYouMean(suggestion)} Loaded methods: {list}.", suggestion);
    }
}
