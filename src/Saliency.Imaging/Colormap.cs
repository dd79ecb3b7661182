using System.Globalization;
using SkiaSharp;

namespace Saliency.Imaging;

/// <summary>
/// A 256-entry colour lookup table that turns map values in <c>[0,1]</c> into colours.
/// <see cref="Jet"/> is the rainbow map of the CAM and Grad-CAM papers (matplotlib's and OpenCV's <c>jet</c>);
/// <see cref="Viridis"/> is perceptually uniform (equal steps in value look like equal steps in colour) and
/// readable in grayscale and by colour-blind viewers.
/// </summary>
public sealed class Colormap
{
    private readonly SKColor[] _table;

    private Colormap(string name, SKColor[] table)
    {
        Name = name;
        _table = table;
    }

    /// <summary>matplotlib's <c>jet</c>, built from its piecewise-linear segments: dark blue → cyan → yellow → dark red.</summary>
    public static Colormap Jet { get; } = FromSegments(
        "jet",
        red: [(0, 0), (0.35, 0), (0.66, 1), (0.89, 1), (1, 0.5)],
        green: [(0, 0), (0.125, 0), (0.375, 1), (0.64, 1), (0.91, 0), (1, 0)],
        blue: [(0, 0.5), (0.11, 1), (0.34, 1), (0.65, 0), (1, 0)]);

    /// <summary>matplotlib's <c>viridis</c> (van der Walt and Smith 2015): dark purple → teal → yellow.</summary>
    public static Colormap Viridis { get; } = FromHex("viridis", ViridisTable);

    /// <summary>The colormaps by name.</summary>
    public static IReadOnlyList<Colormap> All { get; } = [Jet, Viridis];

    /// <summary>The colormap's name.</summary>
    public string Name { get; }

    /// <summary>Finds a colormap by name (case-insensitive).</summary>
    /// <param name="name">The name, e.g. <c>jet</c>.</param>
    /// <returns>The colormap.</returns>
    /// <exception cref="ArgumentException">No colormap has that name.</exception>
    public static Colormap Parse(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return All.FirstOrDefault(c => string.Equals(c.Name, name.Trim(), StringComparison.OrdinalIgnoreCase))
            ?? throw new ArgumentException($"Unknown colormap '{name}'; use {string.Join(" or ", All.Select(c => c.Name))}.", nameof(name));
    }

    /// <summary>The colour of <paramref name="value"/>, clamped to <c>[0,1]</c> and rounded to the nearest of 256 entries.</summary>
    /// <param name="value">A map value.</param>
    /// <returns>The colour (opaque).</returns>
    public SKColor this[float value]
    {
        get
        {
            var clamped = float.IsNaN(value) ? 0 : Math.Clamp(value, 0f, 1f);
            return _table[(int)MathF.Round(clamped * 255)];
        }
    }

    /// <inheritdoc />
    public override string ToString() => Name;

    private static Colormap FromSegments(string name, (double X, double Y)[] red, (double X, double Y)[] green, (double X, double Y)[] blue)
    {
        var table = new SKColor[256];
        for (var i = 0; i < table.Length; i++)
        {
            var x = i / 255.0;
            table[i] = new SKColor(Channel(red, x), Channel(green, x), Channel(blue, x));
        }

        return new Colormap(name, table);
    }

    private static byte Channel((double X, double Y)[] segments, double x)
    {
        for (var k = 1; k < segments.Length; k++)
        {
            var (x0, y0) = segments[k - 1];
            var (x1, y1) = segments[k];
            if (x <= x1)
            {
                var y = y0 + ((y1 - y0) * (x - x0) / (x1 - x0));
                return (byte)Math.Round(y * 255);
            }
        }

        return (byte)Math.Round(segments[^1].Y * 255);
    }

    private static Colormap FromHex(string name, string hex)
    {
        var digits = hex.Replace("\n", string.Empty, StringComparison.Ordinal).Replace(" ", string.Empty, StringComparison.Ordinal);
        var table = new SKColor[256];
        for (var i = 0; i < table.Length; i++)
        {
            var rgb = int.Parse(digits.AsSpan(i * 6, 6), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            table[i] = new SKColor((byte)(rgb >> 16), (byte)(rgb >> 8), (byte)rgb);
        }

        return new Colormap(name, table);
    }

    // viridis' 256 RGB entries (8 bits each, rounded from matplotlib 3.6's float table), as hex.
    private const string ViridisTable = """
        44015444025645045745055946075a46085c460a5d460b5e470d60470e61471063471164471365481467481668481769
        48186a481a6c481b6d481c6e481d6f481f70482071482173482374482475482576482677482878482979472a7a472c7a
        472d7b472e7c472f7d46307e46327e46337f463480453581453781453882443983443a83443b84433d84433e85423f85
        4240864241864142874144874045884046883f47883f48893e49893e4a893e4c8a3d4d8a3d4e8a3c4f8a3c508b3b518b
        3b528b3a538b3a548c39558c39568c38588c38598c375a8c375b8d365c8d365d8d355e8d355f8d34608d34618d33628d
        33638d32648e32658e31668e31678e31688e30698e306a8e2f6b8e2f6c8e2e6d8e2e6e8e2e6f8e2d708e2d718e2c718e
        2c728e2c738e2b748e2b758e2a768e2a778e2a788e29798e297a8e297b8e287c8e287d8e277e8e277f8e27808e26818e
        26828e26828e25838e25848e25858e24868e24878e23888e23898e238a8d228b8d228c8d228d8d218e8d218f8d21908d
        21918c20928c20928c20938c1f948c1f958b1f968b1f978b1f988b1f998a1f9a8a1e9b8a1e9c891e9d891f9e891f9f88
        1fa0881fa1881fa1871fa28720a38620a48621a58521a68522a78522a88423a98324aa8325ab8225ac8226ad8127ad81
        28ae8029af7f2ab07f2cb17e2db27d2eb37c2fb47c31b57b32b67a34b67935b77937b87838b9773aba763bbb753dbc74
        3fbc7340bd7242be7144bf7046c06f48c16e4ac16d4cc26c4ec36b50c46a52c56954c56856c66758c7655ac8645cc863
        5ec96260ca6063cb5f65cb5e67cc5c69cd5b6ccd5a6ece5870cf5773d05675d05477d1537ad1517cd2507fd34e81d34d
        84d44b86d54989d5488bd6468ed64590d74393d74195d84098d83e9bd93c9dd93ba0da39a2da37a5db36a8db34aadc32
        addc30b0dd2fb2dd2db5de2bb8de29bade28bddf26c0df25c2df23c5e021c8e020cae11fcde11dd0e11cd2e21bd5e21a
        d8e219dae319dde318dfe318e2e418e5e419e7e419eae51aece51befe51cf1e51df4e61ef6e620f8e621fbe723fde725
        """;
}
