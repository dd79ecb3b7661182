using SkiaSharp;

namespace Saliency.Imaging;

/// <summary>
/// DejaVu Sans, embedded in this assembly (Bitstream Vera licence, see Fonts/LICENSE-DejaVu.txt), so that figures
/// render the same on machines without any system font.
/// </summary>
public static class EmbeddedFont
{
    private const string Resource = "Saliency.Imaging.Fonts.DejaVuSans.ttf";

    private static readonly Lazy<SKTypeface> s_typeface = new(Load, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The typeface.</summary>
    public static SKTypeface Typeface => s_typeface.Value;

    private static SKTypeface Load()
    {
        using var stream = typeof(EmbeddedFont).Assembly.GetManifestResourceStream(Resource)
            ?? throw new InvalidOperationException($"Resource {Resource} is missing from Saliency.Imaging.");
        using var data = SKData.Create(stream);
        return SKTypeface.FromData(data)
            ?? throw new InvalidOperationException($"Resource {Resource} is not a font SkiaSharp can read.");
    }
}
