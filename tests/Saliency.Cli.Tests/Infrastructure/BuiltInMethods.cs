namespace Saliency.Cli.Tests;

/// <summary>The method ids the saliency command serves from its plugins folder, as the host reports them (sorted).</summary>
public static class BuiltInMethods
{
    private static readonly Lazy<IReadOnlyList<string>> s_ids = new(() =>
    {
        using var host = SaliencyHost.Create(new SaliencyHostOptions { HotReload = false, UseEnvironmentPluginPath = false, Device = "cpu", KernelCheck = KernelCheckMode.Off });
        return [.. host.Methods.Select(m => m.Id)];
    });

    /// <summary>Every built-in method id, sorted as the host lists them.</summary>
    public static IReadOnlyList<string> Ids => s_ids.Value;

    /// <summary>The ids as error messages and listings print them: comma-separated.</summary>
    public static string List => string.Join(", ", Ids);
}
