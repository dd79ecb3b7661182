namespace Saliency.Tests;

/// <summary>One host for the class, serving the built-in plugins from bin/plugins (no watching).</summary>
public sealed class HostFixture : IDisposable
{
    public HostFixture() => Host = SaliencyHost.Create(new SaliencyHostOptions { HotReload = false, UseEnvironmentPluginPath = false, Device = "cpu" });

    public SaliencyHost Host { get; }

    public void Dispose() => Host.Dispose();
}
