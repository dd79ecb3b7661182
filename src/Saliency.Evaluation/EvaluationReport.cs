namespace Saliency.Evaluation;

/// <summary>One method's scores over the evaluated (image, target) pairs; <see langword="null"/> where not measured.</summary>
public sealed record MethodScores
{
    /// <summary>The method id.</summary>
    public required string Method { get; init; }

    /// <summary>(image, target) pairs measured.</summary>
    public int Pairs { get; init; }

    /// <summary>(image, target) pairs the faithfulness metrics ran on.</summary>
    public int FaithfulnessPairs { get; init; }

    /// <summary>Share of pointing-game hits.</summary>
    public double? PointingGame { get; init; }

    /// <summary>Mean share of the map's mass inside the target's boxes.</summary>
    public double? EnergyPointing { get; init; }

    /// <summary>Mean share of the mass inside all annotated boxes that falls in the target's boxes.</summary>
    public double? EnergyAmongObjects { get; init; }

    /// <summary>Mean IoU of the CAM-rule box with the target's box.</summary>
    public double? MeanIoU { get; init; }

    /// <summary>Share of pairs with CAM-rule IoU ≥ 0.5.</summary>
    public double? IoUAtHalf { get; init; }

    /// <summary>Mean deletion AUC (lower is better).</summary>
    public double? DeletionAuc { get; init; }

    /// <summary>Mean insertion AUC (higher is better).</summary>
    public double? InsertionAuc { get; init; }

    /// <summary>Average drop in confidence (lower is better).</summary>
    public double? AverageDrop { get; init; }

    /// <summary>Share of pairs whose confidence increases under the map's mask (higher is better).</summary>
    public double? IncreaseInConfidence { get; init; }

    /// <summary>Mean ROAD score, most relevant removed first (lower is better).</summary>
    public double? RoadMorf { get; init; }

    /// <summary>Mean ROAD score, least relevant removed first (higher is better).</summary>
    public double? RoadLerf { get; init; }

    /// <summary>The mean deletion curve.</summary>
    public IReadOnlyList<double> DeletionCurve { get; init; } = [];

    /// <summary>The mean insertion curve.</summary>
    public IReadOnlyList<double> InsertionCurve { get; init; } = [];

    /// <summary>The mean ROAD MoRF curve, one point per share.</summary>
    public IReadOnlyList<double> RoadMorfCurve { get; init; } = [];

    /// <summary>The mean ROAD LeRF curve, one point per share.</summary>
    public IReadOnlyList<double> RoadLerfCurve { get; init; } = [];

    /// <summary>Seconds spent explaining (without the metrics).</summary>
    public double ExplainSeconds { get; init; }
}

/// <summary>What <see cref="Evaluator.Run"/> measured.</summary>
/// <param name="Images">Images evaluated.</param>
/// <param name="Methods">Per method, in the order asked.</param>
/// <param name="Sanity">The cascading randomization steps (empty when skipped).</param>
/// <param name="Options">The options used.</param>
/// <param name="Seconds">Wall-clock seconds.</param>
/// <param name="Forwards">Model forwards the faithfulness metrics ran.</param>
public sealed record EvaluationReport(
    int Images, IReadOnlyList<MethodScores> Methods, IReadOnlyList<RandomizationStep> Sanity, EvaluationOptions Options, double Seconds, long Forwards);
