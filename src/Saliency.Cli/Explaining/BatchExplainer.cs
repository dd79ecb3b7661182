using Saliency.Cli.Modeling;
using Saliency.Imaging;
using SkiaSharp;
using static TorchSharp.torch;

namespace Saliency.Cli.Explaining;

/// <summary>
/// Explains one batch of image files: decodes each (a bad file fails alone), runs one forward for the logits, picks
/// each image's targets, explains every method and target with one shared pass per layer, and writes the outputs.
/// </summary>
internal sealed class BatchExplainer(SaliencyHost host, LoadedModel model, ExplainOptions options)
{
    private readonly OutputWriter _writer = new(model, options);
    private readonly SortedSet<string> _warnings = new(StringComparer.Ordinal);

    /// <summary>The methods' caveats so far (for example, ReLUs Guided Backprop could not guide), each once.</summary>
    public IReadOnlyCollection<string> Warnings => _warnings;

    public IReadOnlyList<ImageOutcome> Run(IReadOnlyList<string> paths)
    {
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
                Explain(paths, images, outcomes);
            }
        }
        finally
        {
            foreach (var (_, bitmap) in images)
            {
                bitmap.Dispose();
            }
        }

        return outcomes!;
    }

    private void Explain(IReadOnlyList<string> paths, List<(int Index, SKBitmap Bitmap)> images, ImageOutcome?[] outcomes)
    {
        using var scope = NewDisposeScope();
        var all = ImageTensors.ToBatch([.. images.Select(i => i.Bitmap)], model.Input);
        float[][] logits;
        using (var capture = SaliencyEngine.Capture(model.Explainable, all, options.Layer, gradients: false))
        {
            logits = [.. Enumerable.Range(0, images.Count).Select(i => capture.Logits[i].cpu().data<float>().ToArray())];
        }

        options.Targets.CheckClassCount(logits[0].Length);

        // Targets per image; an image whose targets cannot be resolved (CSV) fails alone.
        var kept = new List<(int Row, int Index, SKBitmap Bitmap, IReadOnlyList<long> Targets)>();
        for (var row = 0; row < images.Count; row++)
        {
            var (index, bitmap) = images[row];
            try
            {
                kept.Add((row, index, bitmap, options.Targets.For(paths[index], logits[row])));
            }
            catch (ArgumentException e)
            {
                outcomes[index] = ImageOutcome.Failed(paths[index], e.Message);
            }
        }

        if (kept.Count == 0)
        {
            return;
        }

        var input = all.index_select(0, tensor(kept.Select(k => (long)k.Row).ToArray()));
        var slots = kept.Max(k => k.Targets.Count);
        var requests = new List<ExplainRequest>();
        foreach (var method in options.Methods)
        {
            for (var slot = 0; slot < slots; slot++)
            {
                var slotTargets = kept.Select(k => k.Targets[Math.Min(slot, k.Targets.Count - 1)]).ToList();
                requests.Add(new ExplainRequest(method) { Layer = options.Layer, Targets = slotTargets });
            }
        }

        var results = host.Explain(model.Explainable, input, requests);
        try
        {
            foreach (var result in results)
            {
                _warnings.UnionWith(result.Warnings.Select(w => $"{result.Method}: {w}"));
            }

            for (var item = 0; item < kept.Count; item++)
            {
                var (row, index, bitmap, targets) = kept[item];
                var explanations = new List<Explanation>();
                for (var m = 0; m < options.Methods.Count; m++)
                {
                    for (var slot = 0; slot < targets.Count; slot++)
                    {
                        explanations.Add(new Explanation(options.Methods[m], targets[slot], results[(m * slots) + slot], item));
                    }
                }

                outcomes[index] = _writer.Write(paths[index], bitmap, explanations, logits[row]);
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
}

/// <summary>One method's explanation of one target of one image: row <paramref name="Item"/> of <paramref name="Result"/>.</summary>
internal sealed record Explanation(string Method, long Target, SaliencyResult Result, int Item);
