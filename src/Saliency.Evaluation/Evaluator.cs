using System.Diagnostics;
using static TorchSharp.torch;

namespace Saliency.Evaluation;

/// <summary>
/// Runs every metric for every method over a set of inputs: each (image, target) pair — one per class with boxes in
/// the image, or the model's top class for an image without boxes — is explained by each method, then scored.
/// </summary>
public static class Evaluator
{
    /// <summary>Evaluates <paramref name="methods"/> on <paramref name="samples"/>.</summary>
    /// <param name="host">The host that explains.</param>
    /// <param name="model">The model.</param>
    /// <param name="scorer">Scores perturbed inputs with the same model.</param>
    /// <param name="samples">The inputs, all of one shape.</param>
    /// <param name="methods">Method ids.</param>
    /// <param name="options">What to measure.</param>
    /// <param name="progress">Receives (done, total) work units: one per image for the metrics and one per randomization step.</param>
    /// <param name="cancellation">Stops between batches.</param>
    /// <returns>The report.</returns>
    public static EvaluationReport Run(
        SaliencyHost host, IExplainable model, ModelScorer scorer, IReadOnlyList<EvaluationSample> samples, IReadOnlyList<string> methods,
        EvaluationOptions options, IProgress<(int Done, int Total)>? progress = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(scorer);
        ArgumentNullException.ThrowIfNull(samples);
        ArgumentNullException.ThrowIfNull(methods);
        ArgumentNullException.ThrowIfNull(options);
        if (samples.Count == 0 || methods.Count == 0)
        {
            throw new ArgumentException("Evaluation needs at least one image and one method.");
        }

        var clock = Stopwatch.StartNew();
        var forwardsBefore = scorer.Forwards;
        var sanityInputs = Math.Min(options.SanityImages, samples.Count);
        var sanitySteps = 0;
        if (sanityInputs > 0)
        {
            using var scope = NewDisposeScope();
            sanitySteps = SanityCheck.RandomizationOrder(model.Module, Stack([samples[0].Image])).Count + 1;
        }

        var total = samples.Count + sanitySteps;
        var accumulators = methods.ToDictionary(m => m, m => new Accumulator(m), StringComparer.Ordinal);
        var done = 0;
        for (var start = 0; start < samples.Count; start += options.BatchSize)
        {
            cancellation.ThrowIfCancellationRequested();
            var batch = samples.Skip(start).Take(options.BatchSize).ToList();
            var pairs = Pairs(scorer, batch);
            using (var scope = NewDisposeScope())
            {
                var inputs = Stack(pairs.Select(p => p.Sample.Image).ToList());
                var targets = pairs.Select(p => p.Target).ToList();
                foreach (var method in methods)
                {
                    var explainClock = Stopwatch.StartNew();
                    SaliencyMap[] maps;
                    using (var result = host.Explain(model, inputs, new ExplainRequest(method) { Targets = targets }, cancellation))
                    {
                        maps = MapReader.Read(result.Map);
                    }

                    accumulators[method].ExplainSeconds += explainClock.Elapsed.TotalSeconds;
                    for (var i = 0; i < pairs.Count; i++)
                    {
                        var faithful = options.Faithfulness && (options.FaithfulnessImages == 0 || start + batch.IndexOf(pairs[i].Sample) < options.FaithfulnessImages);
                        accumulators[method].Add(scorer, pairs[i].Sample, pairs[i].Target, maps[i], options, faithful);
                    }
                }
            }

            done += batch.Count;
            progress?.Report((done, total));
        }

        IReadOnlyList<RandomizationStep> sanity = [];
        if (sanityInputs > 0)
        {
            var chosen = samples.Take(sanityInputs).ToList();
            var pairs = Pairs(scorer, chosen).GroupBy(p => p.Sample).Select(g => g.First()).ToList();
            using var scope = NewDisposeScope();
            var inputs = Stack(pairs.Select(p => p.Sample.Image).ToList());
            sanity = SanityCheck.CascadingRandomization(
                host, model, inputs, [.. pairs.Select(p => p.Target)], methods, options.Seed,
                new Progress(step => progress?.Report((done + step, total))), cancellation);
        }

        return new EvaluationReport(
            samples.Count, [.. methods.Select(m => accumulators[m].Scores(options))], sanity, options, clock.Elapsed.TotalSeconds, scorer.Forwards - forwardsBefore);
    }

    private static List<(EvaluationSample Sample, long Target)> Pairs(ModelScorer scorer, IReadOnlyList<EvaluationSample> batch)
    {
        var unboxed = batch.Where(s => s.Boxes.Count == 0).ToList();
        var top = unboxed.Count == 0 ? [] : scorer.TopClasses([.. unboxed.Select(s => s.Image.Values)], unboxed[0].Image.Shape);
        var tops = unboxed.Select((s, i) => (s, top[i])).ToDictionary(t => t.s, t => t.Item2);
        return [.. batch.SelectMany(s => s.Boxes.Count == 0
            ? [(s, tops[s])]
            : s.Boxes.Select(b => (long)b.Class).Distinct().Select(c => (s, c)))];
    }

    private static Tensor Stack(IReadOnlyList<InputImage> images)
    {
        var shape = images[0].Shape;
        var size = shape.Channels * shape.Height * shape.Width;
        var buffer = new float[images.Count * size];
        for (var i = 0; i < images.Count; i++)
        {
            if (images[i].Shape != shape)
            {
                throw new ArgumentException($"Every input must have one shape; found {images[i].Shape} beside {shape}.");
            }

            images[i].Values.CopyTo(buffer, i * size);
        }

        return tensor(buffer, [images.Count, shape.Channels, shape.Height, shape.Width]);
    }

    private sealed class Progress(Action<int> report) : IProgress<int>
    {
        public void Report(int value) => report(value);
    }

    /// <summary>Sums one method's metrics over pairs.</summary>
    private sealed class Accumulator(string method)
    {
        private readonly List<bool> _hits = [];
        private readonly List<double> _energy = [];
        private readonly List<double> _energyAmongObjects = [];
        private readonly List<double> _iou = [];
        private readonly List<double[]> _deletion = [];
        private readonly List<double[]> _insertion = [];
        private readonly List<(double Original, double Masked)> _confidence = [];
        private readonly List<double[]> _morf = [];
        private readonly List<double[]> _lerf = [];
        private int _pairs;
        private int _faithfulPairs;

        public double ExplainSeconds { get; set; }

        public void Add(ModelScorer scorer, EvaluationSample sample, long target, SaliencyMap map, EvaluationOptions options, bool faithful)
        {
            _pairs++;
            var targetBoxes = sample.Boxes.Where(b => b.Class == target).Select(b => b.Box).ToList();
            if (options.Localization && targetBoxes.Count > 0)
            {
                var all = sample.Boxes.Select(b => b.Box).ToList();
                _hits.Add(Localization.PointingGame(map, targetBoxes, options.Tolerance));
                _energy.Add(Localization.EnergyPointing(map, targetBoxes));
                _energyAmongObjects.Add(Localization.EnergyShareAmongObjects(map, targetBoxes, all));
                _iou.Add(Localization.BoxIoU(map, targetBoxes));
            }

            if (faithful)
            {
                _faithfulPairs++;
                var image = sample.Image;
                _deletion.Add(Faithfulness.DeletionCurve(scorer, image, map, target, options.Steps));
                _insertion.Add(Faithfulness.InsertionCurve(scorer, image, map, target, options.Steps));
                _confidence.Add(Faithfulness.Confidence(scorer, image, map, target));
                var seed = StableSeed(options.Seed, sample.Name, target);
                _morf.Add(Faithfulness.RoadCurve(scorer, image, map, target, options.RoadShares, mostRelevantFirst: true, seed));
                _lerf.Add(Faithfulness.RoadCurve(scorer, image, map, target, options.RoadShares, mostRelevantFirst: false, seed));
            }
        }

        public MethodScores Scores(EvaluationOptions options)
        {
            var located = _hits.Count > 0;
            var faithful = _deletion.Count > 0;
            return new MethodScores
            {
                Method = method,
                Pairs = _pairs,
                FaithfulnessPairs = _faithfulPairs,
                PointingGame = located ? _hits.Count(h => h) / (double)_hits.Count : null,
                EnergyPointing = located ? _energy.Average() : null,
                EnergyAmongObjects = located ? _energyAmongObjects.Average() : null,
                MeanIoU = located ? _iou.Average() : null,
                IoUAtHalf = located ? _iou.Count(v => v >= 0.5) / (double)_iou.Count : null,
                DeletionAuc = faithful ? _deletion.Average(Faithfulness.Auc) : null,
                InsertionAuc = faithful ? _insertion.Average(Faithfulness.Auc) : null,
                AverageDrop = faithful ? Faithfulness.AverageDrop(_confidence) : null,
                IncreaseInConfidence = faithful ? Faithfulness.IncreaseInConfidence(_confidence) : null,
                RoadMorf = faithful ? _morf.Average(c => c.Average()) : null,
                RoadLerf = faithful ? _lerf.Average(c => c.Average()) : null,
                DeletionCurve = MeanCurve(_deletion),
                InsertionCurve = MeanCurve(_insertion),
                RoadMorfCurve = MeanCurve(_morf),
                RoadLerfCurve = MeanCurve(_lerf),
                ExplainSeconds = ExplainSeconds,
            };
        }

        /// <summary>A seed from the image and target that is the same in every process (string.GetHashCode is not).</summary>
        private static int StableSeed(int seed, string name, long target)
        {
            var hash = 2_166_136_261u;
            foreach (var c in name)
            {
                hash = (hash ^ c) * 16_777_619u;
            }

            return (int)(hash ^ (uint)seed ^ ((uint)target * 2_654_435_761u));
        }

        private static double[] MeanCurve(List<double[]> curves) =>
            curves.Count == 0 ? [] : [.. Enumerable.Range(0, curves[0].Length).Select(i => curves.Average(c => c[i]))];
    }
}
