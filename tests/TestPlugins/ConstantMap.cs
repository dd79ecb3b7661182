using static TorchSharp.torch;

namespace Saliency.TestPlugin;

/// <summary>
/// Returns a constant map: 0.25 in version 1, 0.75 in version 2. Options: <c>entered-file</c> (written on entry) and
/// <c>release-file</c> (waited for), so a test can hold an explanation in flight while the plugin is replaced.
/// </summary>
public sealed class ConstantMap : ISaliencyMethod
{
#if VERSION1
    private const float Value = 0.25f;
    private const string Version = "v1";
#else
    private const float Value = 0.75f;
    private const string Version = "v2";
#endif

    public MethodDescriptor Descriptor { get; } = new("constant-map", "Constant map " + Version, "A constant map (" + Version + "), for host tests.", MethodRequirements.None);

    public SaliencyResult Explain(IExplanationContext context)
    {
        var entered = context.GetOption("entered-file", string.Empty);
        if (entered.Length > 0)
        {
            File.WriteAllText(entered, Version);
        }

        var release = context.GetOption("release-file", string.Empty);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (release.Length > 0 && !File.Exists(release) && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(10);
        }

        var batch = context.Input.shape[0];
        return context.Result(zeros(batch, 1), full(batch, context.InputHeight, context.InputWidth, Value));
    }
}
