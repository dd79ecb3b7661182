using System.Collections.Immutable;

namespace Saliency;

/// <summary>A method served by the host, the source it came from, and who owns it.</summary>
/// <param name="Method">The method.</param>
/// <param name="Descriptor">Its descriptor, read once when it was loaded.</param>
/// <param name="Source">Where it came from, for messages: a plugin assembly's path, or "registered in process".</param>
/// <param name="Owner">The plugin (or in-process registration) that publishes it; a later version of the same owner replaces it.</param>
internal sealed record MethodEntry(ISaliencyMethod Method, MethodDescriptor Descriptor, string Source, MethodOwner Owner);

/// <summary>Who publishes methods: one plugin folder, or the application itself.</summary>
/// <param name="Key">The plugin folder's full path, or <see cref="InProcess"/>'s key.</param>
internal sealed record MethodOwner(string Key)
{
    /// <summary>Methods registered with <see cref="SaliencyHost.Register"/>.</summary>
    public static MethodOwner InProcess { get; } = new("<in-process>");
}

/// <summary>What one publication changed: ids that appeared, disappeared, or are now served by a new version.</summary>
internal sealed record MethodChange(IReadOnlyList<string> Added, IReadOnlyList<string> Removed, IReadOnlyList<string> Replaced)
{
    public bool IsEmpty => Added.Count == 0 && Removed.Count == 0 && Replaced.Count == 0;
}

/// <summary>
/// The methods a host serves, as an immutable snapshot swapped atomically: an explanation reads one snapshot and
/// runs on the versions it found, while plugins are published, replaced and withdrawn beside it. Publishing never
/// calls out: it returns what changed (or why it was refused), and the caller raises events after its own locks
/// are released.
/// </summary>
internal sealed class MethodRegistry
{
    private readonly object _gate = new();
    private ImmutableDictionary<string, MethodEntry> _methods = ImmutableDictionary.Create<string, MethodEntry>(StringComparer.Ordinal);

    /// <summary>The methods served now (an immutable snapshot).</summary>
    public ImmutableDictionary<string, MethodEntry> Snapshot => _methods;

    /// <summary>
    /// Makes <paramref name="entries"/> the methods of <paramref name="owner"/>, replacing what it published before.
    /// </summary>
    /// <param name="owner">The publisher.</param>
    /// <param name="entries">Its methods now; empty to withdraw them all.</param>
    /// <param name="change">What changed, when published.</param>
    /// <param name="conflict">Why nothing was published: an id another owner already serves.</param>
    /// <returns>Whether the entries were published.</returns>
    public bool TryPublish(MethodOwner owner, IReadOnlyList<MethodEntry> entries, out MethodChange change, out string? conflict)
    {
        lock (_gate)
        {
            foreach (var entry in entries)
            {
                if (_methods.TryGetValue(entry.Descriptor.Id, out var existing) && existing.Owner != owner)
                {
                    change = new MethodChange([], [], []);
                    conflict = $"method id '{entry.Descriptor.Id}' is already served by {existing.Source}";
                    return false;
                }
            }

            var before = _methods.Values.Where(e => e.Owner == owner).Select(e => e.Descriptor.Id).ToHashSet(StringComparer.Ordinal);
            var builder = _methods.ToBuilder();
            builder.RemoveRange(before);
            foreach (var entry in entries)
            {
                builder[entry.Descriptor.Id] = entry;
            }

            _methods = builder.ToImmutable();
            var now = entries.Select(e => e.Descriptor.Id).ToHashSet(StringComparer.Ordinal);
            change = new MethodChange([.. now.Except(before)], [.. before.Except(now)], [.. now.Intersect(before)]);
            conflict = null;
            return true;
        }
    }

    /// <summary>Withdraws every method of <paramref name="owner"/>.</summary>
    /// <returns>What changed.</returns>
    public MethodChange Withdraw(MethodOwner owner)
    {
        TryPublish(owner, [], out var change, out _);
        return change;
    }
}
