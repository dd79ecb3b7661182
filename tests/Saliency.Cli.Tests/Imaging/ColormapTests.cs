using Saliency.Imaging;

namespace Saliency.Cli.Tests.Imaging;

public sealed class ColormapTests
{
    // matplotlib 3.6's jet and viridis at these LUT entries, as 8-bit RGB.
    public static TheoryData<int, byte, byte, byte> JetEntries => new()
    {
        { 0, 0, 0, 128 }, { 32, 0, 0, 255 }, { 64, 0, 128, 255 }, { 96, 22, 255, 225 }, { 128, 125, 255, 122 },
        { 160, 228, 255, 19 }, { 192, 255, 148, 0 }, { 224, 255, 30, 0 }, { 255, 128, 0, 0 },
    };

    [Theory]
    [MemberData(nameof(JetEntries))]
    public void Jet_matches_matplotlib(int entry, byte red, byte green, byte blue)
    {
        var colour = Colormap.Jet[entry / 255f];

        ((int)colour.Red).Should().BeCloseTo(red, 1);
        ((int)colour.Green).Should().BeCloseTo(green, 1);
        ((int)colour.Blue).Should().BeCloseTo(blue, 1);
    }

    [Theory]
    [InlineData(0, 68, 1, 84)]
    [InlineData(128, 33, 145, 140)]
    [InlineData(255, 253, 231, 37)]
    public void Viridis_matches_matplotlib(int entry, byte red, byte green, byte blue)
    {
        var colour = Colormap.Viridis[entry / 255f];

        (colour.Red, colour.Green, colour.Blue).Should().Be((red, green, blue));
    }

    [Fact]
    public void Values_outside_the_unit_interval_and_nan_are_clamped()
    {
        Colormap.Jet[-3f].Should().Be(Colormap.Jet[0f]);
        Colormap.Jet[7f].Should().Be(Colormap.Jet[1f]);
        Colormap.Viridis[float.NaN].Should().Be(Colormap.Viridis[0f]);
    }

    [Fact]
    public void Names_parse_case_insensitively_and_unknown_names_list_the_choices()
    {
        Colormap.Parse("VIRIDIS").Should().BeSameAs(Colormap.Viridis);
        var act = () => Colormap.Parse("hot");
        act.Should().Throw<ArgumentException>().WithMessage("Unknown colormap 'hot'; use jet or viridis.*");
    }
}
