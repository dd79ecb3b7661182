using System.Diagnostics;
using System.Globalization;
using static TorchSharp.torch;

namespace Saliency.Models.Training;

/// <summary>How <see cref="DemoTrainer"/> trains the demo network.</summary>
public sealed record TrainingOptions
{
    /// <summary>The bundled weights' epochs.</summary>
    public const int DefaultEpochs = 6;

    /// <summary>The bundled weights' share of final steps on full-size canvases.</summary>
    public const double DefaultFinalFullSizeShare = 0.15;

    /// <summary>The bundled weights' CAM penalty.</summary>
    public const double DefaultCamPenalty = 0.15;

    /// <summary>The bundled weights' share of first steps on single items.</summary>
    public const double DefaultSingleItemShare = 0.5;

    /// <summary>The folder of the Fashion-MNIST IDX files.</summary>
    public string DataDirectory { get; init; } = FashionMnist.DefaultDirectory;

    /// <summary>Epochs of <see cref="EpochSize"/> canvases.</summary>
    public int Epochs { get; init; } = DefaultEpochs;

    /// <summary>Canvases per epoch; 30,000 canvases hold two items each, as many items as the training split has.</summary>
    public int EpochSize { get; init; } = 30_000;

    /// <summary>Seeds the weight initialisation (<c>torch.manual_seed</c>) and the canvas generator.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Canvases per optimisation step.</summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>The peak learning rate of the one-cycle schedule (Adam).</summary>
    public double LearningRate { get; init; } = 0.01;

    /// <summary>libtorch threads. Results are bitwise reproducible only with the same thread count on the same CPU.</summary>
    public int Threads { get; init; } = 2;

    /// <summary>
    /// The canvas sides training draws from, one per step (seeded). The network is fully convolutional up to its
    /// global average pooling, so smaller canvases (at least <see cref="CanvasGenerator.MinimumSide"/>) show it the
    /// items at a fraction of a 96×96 canvas's cost; the default, 64 only (with <see cref="FinalFullSizeShare"/>), is the recipe of the bundled weights.
    /// </summary>
    public IReadOnlyList<int> CanvasSides { get; init; } = [CanvasGenerator.MinimumSide];

    /// <summary>
    /// The share of the last steps trained on <see cref="CanvasGenerator.Side"/>×<see cref="CanvasGenerator.Side"/>
    /// canvases whatever <see cref="CanvasSides"/> says, so that training ends on the input size the model is used at
    /// (0 to 1).
    /// </summary>
    public double FinalFullSizeShare { get; init; } = DefaultFinalFullSizeShare;

    /// <summary>
    /// The weight of a penalty on negative class activation maps (the mean over classes and positions of
    /// <c>ReLU(−Σ_k w_ck·A_k)</c> at the layer the head pools): it pushes each class's CAM towards non-negative
    /// evidence, so that CAM's min–max map has its zero on the background rather than on other objects; 0 turns it off.
    /// </summary>
    public double CamPenalty { get; init; } = DefaultCamPenalty;

    /// <summary>
    /// The share of the first steps that show items alone on <see cref="CanvasGenerator.SingleItemSide"/>-pixel
    /// canvases with one-hot targets (0 to 1). Such a step holds as many pixels as a step of
    /// <see cref="CanvasGenerator.MinimumSide"/>-pixel two-item canvases but four times as many canvases, so it shows
    /// the network twice the items for about the same cost; the later two-item steps teach it to find and separate
    /// the items of a canvas. The shares of this and <see cref="FinalFullSizeShare"/> add up to at most 1.
    /// </summary>
    public double SingleItemShare { get; init; } = DefaultSingleItemShare;

    /// <summary>Held-out canvases (made from the test split) the accuracy is measured on.</summary>
    public int EvaluationCanvases { get; init; } = 2000;
}

/// <summary>Where training stands, reported after each step.</summary>
/// <param name="Step">Steps done.</param>
/// <param name="TotalSteps">Steps in all.</param>
/// <param name="Loss">The running mean of the loss over the last steps.</param>
public sealed record TrainingProgress(int Step, int TotalSteps, double Loss);

/// <summary>What training produced.</summary>
/// <param name="Model">The trained network, in eval mode.</param>
/// <param name="FinalLoss">The running loss at the end.</param>
/// <param name="Elapsed">Wall-clock training time (without loading the data).</param>
/// <param name="Canvases">Canvases seen in training, single-item ones included.</param>
public sealed record TrainingResult(FashionGapNet Model, double FinalLoss, TimeSpan Elapsed, int Canvases);

/// <summary>
/// Trains <see cref="FashionGapNet"/> on two-item canvases generated on the fly from Fashion-MNIST's training split,
/// with a 2-hot target and binary cross-entropy; <see cref="Evaluate"/> measures it on canvases from the test split.
/// </summary>
public static class DemoTrainer
{
    /// <summary>The seed of the held-out canvases, fixed so that every run is measured on the same set.</summary>
    public const int EvaluationSeed = 20_240_905;

    /// <summary>Single-item canvases per two-item canvas of the batch size: the same pixels per step at the default sides (4·32² = 64²).</summary>
    private const int SinglesPerCanvas = 4;

    /// <summary>Trains the network.</summary>
    /// <param name="options">Data, epochs, seed, batch size, learning rate, threads.</param>
    /// <param name="progress">Receives progress after each step; may be <see langword="null"/>.</param>
    /// <param name="cancellation">Stops training between steps.</param>
    /// <returns>The trained model, in eval mode, and its training measurements.</returns>
    public static TrainingResult Train(TrainingOptions options, IProgress<TrainingProgress>? progress = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.CanvasSides.Count == 0 || options.CanvasSides.Any(side => side < CanvasGenerator.MinimumSide))
        {
            throw new ArgumentException($"Training canvas sides must be at least {CanvasGenerator.MinimumSide} pixels, and at least one is needed.", nameof(options));
        }

        if (!(options.SingleItemShare is >= 0 and <= 1) || !(options.FinalFullSizeShare is >= 0 and <= 1) || options.SingleItemShare + options.FinalFullSizeShare > 1)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"The single-item share ({options.SingleItemShare}) and the final full-size share ({options.FinalFullSizeShare}) must each lie in [0,1] and add up to at most 1."),
                nameof(options));
        }

        TorchRuntime.EnsureInitialized();
        set_num_threads(options.Threads);

        // Training back-propagates through every convolution: on machines whose kernels are wrong, route around them first.
        KernelGuard.Default.Ensure(CPU, KernelCheckMode.Auto);
        var train = FashionMnist.LoadTrain(options.DataDirectory);

        manual_seed(options.Seed);
        var model = new FashionGapNet();
        var steps = Math.Max(1, options.Epochs * options.EpochSize / options.BatchSize);
        var optimizer = optim.Adam(model.parameters(), lr: options.LearningRate);
        var schedule = optim.lr_scheduler.OneCycleLR(optimizer, max_lr: options.LearningRate, total_steps: steps);
        var generator = new CanvasGenerator(train, options.Seed, mirror: true);
        var sides = new Random(options.Seed);
        var targets = new float[options.BatchSize * FashionGapNet.Classes];
        var singles = options.BatchSize * SinglesPerCanvas;
        var singleTargets = new float[singles * FashionGapNet.Classes];
        var canvasesSeen = 0;

        model.train();
        var clock = Stopwatch.StartNew();
        var loss = 0.0;
        for (var step = 1; step <= steps; step++)
        {
            cancellation.ThrowIfCancellationRequested();
            using var scope = NewDisposeScope();
            // A side is drawn on every step, single-item ones too, so that seeded runs keep their sequence.
            var side = options.CanvasSides[sides.Next(options.CanvasSides.Count)];
            if (step > steps * (1 - options.FinalFullSizeShare))
            {
                side = CanvasGenerator.Side;
            }

            // Single-item steps first: four items alone per canvas of the batch size, on small canvases.
            var single = step <= steps * options.SingleItemShare;
            var (count, stepSide, labels) = single
                ? (singles, CanvasGenerator.SingleItemSide, singleTargets)
                : (options.BatchSize, side, targets);
            var pixels = new float[count * stepSide * stepSide];
            if (single)
            {
                generator.NextSingleBatch(pixels, labels, stepSide);
            }
            else
            {
                generator.NextBatch(pixels, labels, stepSide);
            }

            var x = Input(pixels, count, stepSide);
            var y = tensor(labels, [count, FashionGapNet.Classes]);
            canvasesSeen += count;

            optimizer.zero_grad();
            var batchLoss = model.TrainingLoss(x, y, options.CamPenalty);
            batchLoss.backward();
            optimizer.step();
            schedule.step();
            var value = batchLoss.item<float>();
            loss = step == 1 ? value : (0.98 * loss) + (0.02 * value);
            progress?.Report(new TrainingProgress(step, steps, loss));
        }

        clock.Stop();
        model.eval();
        return new TrainingResult(model, loss, clock.Elapsed, canvasesSeen);
    }

    /// <summary>The share of <paramref name="count"/> canvases from <paramref name="split"/> whose two classes are the model's top 2.</summary>
    /// <param name="model">The model, in eval mode.</param>
    /// <param name="split">Usually the test split.</param>
    /// <param name="count">How many canvases (seeded with <see cref="EvaluationSeed"/>).</param>
    /// <returns>The accuracy in <c>[0,1]</c>.</returns>
    public static double Evaluate(FashionGapNet model, FashionMnist split, int count)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(split);
        var generator = new CanvasGenerator(split, EvaluationSeed, mirror: false);
        const int Batch = 200;
        var correct = 0;
        using var noGrad = no_grad();
        for (var done = 0; done < count; done += Batch)
        {
            using var scope = NewDisposeScope();
            var size = Math.Min(Batch, count - done);
            var canvases = Enumerable.Range(0, size).Select(_ => generator.Next()).ToList();
            var x = Input(canvases.SelectMany(c => c.Pixels).ToArray(), size, CanvasGenerator.Side);
            var top2 = model.call(x).topk(2, 1).indexes.data<long>().ToArray();
            for (var i = 0; i < size; i++)
            {
                var predicted = new HashSet<long> { top2[2 * i], top2[(2 * i) + 1] };
                if (canvases[i].Items.All(item => predicted.Contains(item.Label)))
                {
                    correct++;
                }
            }
        }

        return (double)correct / count;
    }

    /// <summary>
    /// The normalised input batch for canvases' pixels, normalised here in managed code: a tensor-minus-float in
    /// TorchSharp 0.107 creates a temporary Scalar that the GC may finalise while libtorch still reads it, which after
    /// thousands of steps failed with "Expected false to be true … toDouble" (and once aborted the process).
    /// </summary>
    private static Tensor Input(float[] pixels, int count, int side)
    {
        var spec = BuiltInModels.FashionGap.Input;
        var (mean, std) = (spec.Mean[0], spec.Std[0]);
        var normalised = new float[pixels.Length];
        for (var i = 0; i < pixels.Length; i++)
        {
            normalised[i] = (pixels[i] - mean) / std;
        }

        return tensor(normalised, [count, 1, side, side]);
    }
}
