using Saliency.Cli.Modeling;
using Saliency.Imaging;
using SkiaSharp;
using static TorchSharp.torch;

namespace Saliency.Cli.Explaining;

/// <summary>
/// Explains one batch of image files: decodes each (a bad file fails alone), runs one forward for the scores (logits, class
/// scores over a mask, or the similarity to a reference), picks each image's targets, explains every method and target
/// with one shared pass per layer, and writes the outputs
/// (an output that cannot be written fails its image alone). Cancellation is honoured between images: the image being
/// written is finished, the rest of the batch is left unwritten and has no outcome.
/// </summary>
internal sealed class BatchExplainer(SaliencyHost host, LoadedModel model, ExplainOptions options)
{
    private readonly OutputWriter _writer = new(options);
    private readonly SortedSet<string> _warnings = new(StringComparer.Ordinal);

    /// <summary>The kernel guard's warning, which every result carries and the command has already printed once.</summary>
    private readonly string? _kernelWarning = host.CheckKernels()?.Warning;

    /// <summary>The methods' caveats so far (for example, ReLUs Guided Backprop could not guide), each once.</summary>
    public IReadOnlyCollection<string> Warnings => _warnings;

    /// <summary>The batch's outcomes, in order; an image left unwritten by cancellation has none.</summary>
    public IReadOnlyList<ImageOutcome> Run(IReadOnlyList<ImageInput> inputs, CancellationToken cancellation = default)
    {
        var paths = inputs.Select(i => i.Path).ToList();
        var outcomes = new ImageOutcome?[paths.Count];
        var images = new List<(int Index, SKBitmap Bitmap)>();
        try
        {
            for (var i = 0; i < paths.Count; i++)
            {
                try
                {
                    images.Add((i, ImageFile.Load(paths[i], options.Limits)));
                }
                catch (ImageException e)
                {
                    outcomes[i] = ImageOutcome.Failed(paths[i], e.Message);
                }
            }

            if (images.Count > 0)
            {
                Explain(inputs, images, outcomes, cancellation);
            }
        }
        finally
        {
            foreach (var (_, bitmap) in images)
            {
                bitmap.Dispose();
            }
        }

        return [.. outcomes.OfType<ImageOutcome>()];
    }

    private void Explain(IReadOnlyList<ImageInput> inputs, List<(int Index, SKBitmap Bitmap)> images, ImageOutcome?[] outcomes, CancellationToken cancellation)
    {
        var paths = inputs.Select(i => i.Path).ToList();
        using var scope = NewDisposeScope();
        var batch = ImageTensors.ToBatch([.. images.Select(i => i.Bitmap)], model.Input);
        var predictions = Predict(batch);
        var subjects = ResolveTargets(paths, images, predictions, outcomes);
        if (subjects.Count == 0)
        {
            return;
        }

        var input = batch.index_select(0, tensor(subjects.Select(s => (long)s.Row).ToArray()));
        var planned = options.Methods.SelectMany(method => options.Targets.Requests(method, options, [.. subjects.Select(s => s.Targets)]).Select(r => (Method: method, r.Request, r.Covers))).ToList();
        var results = host.Explain(model.Explainable, input, [.. planned.Select(p => p.Request)]);
        try
        {
            foreach (var result in results)
            {
                _warnings.UnionWith(result.Warnings.Where(w => w != _kernelWarning).Select(w => $"{result.Method}: {w}"));
            }

            for (var item = 0; item < subjects.Count; item++)
            {
                if (cancellation.IsCancellationRequested)
                {
                    // Leave the rest unwritten; failures already known (bad files, bad CSV rows) are still reported.
                    foreach (var rest in subjects.Skip(item))
                    {
                        outcomes[rest.Index] = null;
                    }

                    break;
                }

                var subject = subjects[item];
                var explanations = new List<Explanation>();
                foreach (var method in options.Methods)
                {
                    foreach (var target in subject.Targets)
                    {
                        var request = planned.FindIndex(p => p.Method == method && p.Covers[item] == target);
                        explanations.Add(new Explanation(method, options.Targets.Name(target), results[request], item));
                    }
                }

                outcomes[subject.Index] = _writer.Write(inputs[subject.Index], subject.Bitmap, explanations, predictions[subject.Row]);
            }
        }
        finally
        {
            foreach (var result in results)
            {
                result.Dispose();
            }
        }
    }

    /// <summary>Each image's scores, from one forward pass without gradients.</summary>
    private IReadOnlyList<Prediction> Predict(Tensor batch) => options.Targets.Predict(ModelProbe.Forward(model, batch).Output);

    /// <summary>The images whose targets resolve; an image whose targets do not (a bad CSV row) fails alone.</summary>
    private List<Subject> ResolveTargets(IReadOnlyList<string> paths, List<(int Index, SKBitmap Bitmap)> images, IReadOnlyList<Prediction> predictions, ImageOutcome?[] outcomes)
    {
        var subjects = new List<Subject>();
        for (var row = 0; row < images.Count; row++)
        {
            var (index, bitmap) = images[row];
            try
            {
                subjects.Add(new Subject(row, index, bitmap, options.Targets.TargetsFor(paths[index], predictions[row])));
            }
            catch (ArgumentException e)
            {
                outcomes[index] = ImageOutcome.Failed(paths[index], $"{paths[index]}: {e.Message}");
            }
        }

        return subjects;
    }

    /// <summary>An image being explained: its row in the decoded batch, its index among the paths, its pixels and targets.</summary>
    private sealed record Subject(int Row, int Index, SKBitmap Bitmap, IReadOnlyList<long> Targets);
}

/// <summary>
/// One method's explanation of one target of one image: row <paramref name="Item"/> of <paramref name="Result"/>;
/// <paramref name="Name"/> is the target's part of file and key names (a class label, or <c>similar-to-…</c>).
/// </summary>
internal sealed record Explanation(string Method, string Name, SaliencyResult Result, int Item);
