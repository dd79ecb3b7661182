using Saliency.Evaluation;

namespace Saliency.Tests;

public sealed class LocalizationTests
{
    private static readonly BoundingBox s_box = new(2, 2, 6, 6);

    /// <summary>A 10×10 map of zeros with the given pixels set.</summary>
    private static SaliencyMap Map(params (int X, int Y, float Value)[] pixels)
    {
        var values = new float[100];
        foreach (var (x, y, value) in pixels)
        {
            values[(y * 10) + x] = value;
        }

        return new SaliencyMap(values, 10, 10);
    }

    [Fact]
    public void A_map_peaked_in_the_box_wins_the_pointing_game_and_one_peaked_outside_loses_it()
    {
        Localization.PointingGame(Map((3, 4, 1f), (8, 8, 0.5f)), [s_box]).Should().BeTrue();
        Localization.PointingGame(Map((3, 4, 0.5f), (8, 8, 1f)), [s_box]).Should().BeFalse();
    }

    [Fact]
    public void The_box_edge_is_exclusive_at_x1_and_y1()
    {
        Localization.PointingGame(Map((5, 5, 1f)), [s_box]).Should().BeTrue();
        Localization.PointingGame(Map((6, 5, 1f)), [s_box]).Should().BeFalse();
        Localization.PointingGame(Map((2, 6, 1f)), [s_box]).Should().BeFalse();
    }

    [Fact]
    public void The_tolerance_counts_euclidean_pixels_to_the_nearest_box_pixel()
    {
        // Peak at (8,8): nearest box pixel (5,5), distance √18 ≈ 4.24.
        var map = Map((8, 8, 1f));
        Localization.PointingGame(map, [s_box], tolerance: 4).Should().BeFalse();
        Localization.PointingGame(map, [s_box], tolerance: 5).Should().BeTrue();
    }

    [Fact]
    public void Any_box_of_the_target_counts_as_a_hit()
    {
        Localization.PointingGame(Map((8, 8, 1f)), [s_box, new BoundingBox(7, 7, 10, 10)]).Should().BeTrue();
    }

    [Fact]
    public void Energy_pointing_is_the_share_of_mass_inside_the_box()
    {
        // 3 inside (1 + 2), 1 outside → 3/4; negative values carry no energy.
        var map = Map((2, 2, 1f), (5, 5, 2f), (9, 9, 1f), (0, 0, -5f));
        Localization.EnergyPointing(map, [s_box]).Should().BeApproximately(0.75, 1e-12);
        Localization.EnergyPointing(Map((2, 2, 1f)), [s_box]).Should().Be(1);
        Localization.EnergyPointing(Map((9, 9, 1f)), [s_box]).Should().Be(0);
        Localization.EnergyPointing(Map(), [s_box]).Should().Be(0);
    }

    [Fact]
    public void Energy_among_objects_ignores_the_background_and_splits_the_objects_mass()
    {
        var other = new BoundingBox(7, 0, 10, 3);
        // target 3, other object 1, background 6 → 3 / (3 + 1).
        var map = Map((3, 3, 3f), (8, 1, 1f), (0, 9, 6f));
        Localization.EnergyShareAmongObjects(map, [s_box], [s_box, other]).Should().BeApproximately(0.75, 1e-12);
        Localization.EnergyPointing(map, [s_box]).Should().BeApproximately(0.3, 1e-12);
    }

    [Fact]
    public void The_cam_box_bounds_the_largest_region_above_a_fifth_of_the_maximum()
    {
        // A 3-pixel diagonal blob (8-connected) with the peak, a larger 4-pixel blob at 0.5, and 0.15 noise below the cut.
        var map = Map((0, 0, 1f), (1, 1, 0.9f), (2, 2, 0.8f), (6, 6, 0.5f), (7, 6, 0.5f), (6, 7, 0.5f), (7, 7, 0.5f), (9, 0, 0.15f));
        Localization.CamBox(map).Should().Be(new BoundingBox(6, 6, 8, 8));
        Localization.CamBox(map, threshold: 0.6).Should().Be(new BoundingBox(0, 0, 3, 3));
        Localization.CamBox(Map()).Should().BeNull();
    }

    [Fact]
    public void Box_iou_matches_the_hand_computed_overlap()
    {
        new BoundingBox(0, 0, 4, 4).IoU(new BoundingBox(2, 2, 6, 6)).Should().BeApproximately(4.0 / 28, 1e-12);
        s_box.IoU(s_box).Should().Be(1);
        s_box.IoU(new BoundingBox(6, 6, 8, 8)).Should().Be(0);

        // A map filling exactly the box scores IoU 1; one filling a 4×2 half of it 0.5.
        var full = Map([.. Enumerable.Range(2, 4).SelectMany(y => Enumerable.Range(2, 4).Select(x => (x, y, 1f)))]);
        Localization.BoxIoU(full, [s_box]).Should().Be(1);
        var half = Map([.. Enumerable.Range(2, 2).SelectMany(y => Enumerable.Range(2, 4).Select(x => (x, y, 1f)))]);
        Localization.BoxIoU(half, [s_box]).Should().BeApproximately(0.5, 1e-12);
    }
}
