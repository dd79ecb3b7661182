namespace Saliency.Cli.Infrastructure;

/// <summary>Values of repeatable options, which may also be comma-separated (<c>--method cam,grad-cam</c>).</summary>
internal static class OptionValues
{
    public static IReadOnlyList<string> Split(IEnumerable<string> values) =>
        [.. values.SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))];
}
