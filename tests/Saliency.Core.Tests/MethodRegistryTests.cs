namespace Saliency.Tests;

/// <summary>The registry publishes per owner, refuses id clashes by returning why, and reports what changed.</summary>
public sealed class MethodRegistryTests
{
    private static readonly MethodOwner PluginA = new("/plugins/A");
    private static readonly MethodOwner PluginB = new("/plugins/B");

    [Fact]
    public void A_new_version_of_an_owner_replaces_its_methods_and_reports_added_removed_and_replaced()
    {
        var registry = new MethodRegistry();

        registry.TryPublish(PluginA, [Entry("one", PluginA), Entry("two", PluginA)], out var first, out _).Should().BeTrue();
        registry.TryPublish(PluginA, [Entry("two", PluginA), Entry("three", PluginA)], out var second, out _).Should().BeTrue();

        first.Added.Should().BeEquivalentTo(["one", "two"]);
        second.Added.Should().Equal("three");
        second.Removed.Should().Equal("one");
        second.Replaced.Should().Equal("two");
        registry.Snapshot.Keys.Should().BeEquivalentTo(["two", "three"]);
    }

    [Fact]
    public void An_id_served_by_another_owner_is_refused_and_nothing_changes()
    {
        var registry = new MethodRegistry();
        registry.TryPublish(PluginA, [Entry("grad-cam", PluginA)], out _, out _);
        var before = registry.Snapshot;

        var published = registry.TryPublish(PluginB, [Entry("other", PluginB), Entry("grad-cam", PluginB)], out var change, out var conflict);

        published.Should().BeFalse();
        conflict.Should().Be("method id 'grad-cam' is already served by /plugins/A/A.dll");
        change.IsEmpty.Should().BeTrue();
        registry.Snapshot.Should().BeSameAs(before, "a refused publication leaves the snapshot untouched");
    }

    [Fact]
    public void Withdrawing_an_owner_removes_only_its_methods_and_a_snapshot_taken_before_keeps_them()
    {
        var registry = new MethodRegistry();
        registry.TryPublish(PluginA, [Entry("one", PluginA)], out _, out _);
        registry.TryPublish(PluginB, [Entry("two", PluginB)], out _, out _);
        var inFlight = registry.Snapshot;

        var change = registry.Withdraw(PluginA);

        change.Removed.Should().Equal("one");
        registry.Snapshot.Keys.Should().Equal("two");
        inFlight.Keys.Should().BeEquivalentTo(["one", "two"], "an explanation that started earlier runs on the versions it found");
    }

    private static MethodEntry Entry(string id, MethodOwner owner)
    {
        var method = new Named(id);
        return new MethodEntry(method, method.Descriptor, $"{owner.Key}/{Path.GetFileName(owner.Key)}.dll", owner);
    }

    private sealed class Named(string id) : ISaliencyMethod
    {
        public MethodDescriptor Descriptor { get; } = new(id, id, "A method for registry tests.", MethodRequirements.None);

        public SaliencyResult Explain(IExplanationContext context) => throw new NotSupportedException();
    }
}
