namespace Saliency.Evaluation;

/// <summary>What <see cref="Evaluator"/> measures and how.</summary>
public sealed record EvaluationOptions
{
    /// <summary>Measure localization (needs boxes).</summary>
    public bool Localization { get; init; } = true;

    /// <summary>Measure faithfulness (deletion/insertion, average drop/increase, ROAD).</summary>
    public bool Faithfulness { get; init; } = true;

    /// <summary>
    /// Inputs (the first ones) the faithfulness metrics run on; 0 means all. They cost about 30 model forwards per
    /// (input, target, method), so the default keeps a 500-image run to minutes on a CPU.
    /// </summary>
    public int FaithfulnessImages { get; init; } = 100;

    /// <summary>Inputs the cascading randomization check runs on (the first ones); 0 skips it.</summary>
    public int SanityImages { get; init; } = 8;

    /// <summary>The pointing game's tolerance in pixels.</summary>
    public int Tolerance { get; init; }

    /// <summary>Steps of the deletion and insertion curves.</summary>
    public int Steps { get; init; } = 10;

    /// <summary>The shares of pixels ROAD removes.</summary>
    public IReadOnlyList<double> RoadShares { get; init; } = [0.2, 0.4, 0.6, 0.8];

    /// <summary>How the model's output becomes the faithfulness score.</summary>
    public ScoreKind Score { get; init; } = ScoreKind.Softmax;

    /// <summary>Inputs explained per call.</summary>
    public int BatchSize { get; init; } = 32;

    /// <summary>Seeds ROAD's noise and the randomization.</summary>
    public int Seed { get; init; }
}

/// <summary>One input to evaluate: its name, the model input and its ground-truth boxes (may be empty).</summary>
/// <param name="Name">The image's name.</param>
/// <param name="Image">The model input.</param>
/// <param name="Boxes">The ground-truth boxes; targets are their classes (the model's top class when there are none).</param>
public sealed record EvaluationSample(string Name, InputImage Image, IReadOnlyList<GroundTruthBox> Boxes);
