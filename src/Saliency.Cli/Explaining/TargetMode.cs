using System.Globalization;
using Saliency.Cli.Modeling;
using Saliency.Imaging;
using Saliency.Models;
using SkiaSharp;
using static TorchSharp.torch;

namespace Saliency.Cli.Explaining;

/// <summary>
/// What <c>explain</c> explains, by the model's output: a class of a classifier (<c>[B,classes]</c>; its logit or
/// probability), a class of a segmentation model summed over a mask (<c>[B,classes,H,W]</c>, <c>--mask</c>), or an
/// embedding's similarity to a reference image's (<c>[B,D]</c>, <c>--similar-to</c>). Each mode turns the model's output
/// into per-image scores (from which targets are picked, and which <c>--save-maps</c> stores) and the targets into requests.
/// </summary>
internal abstract class TargetMode : IDisposable
{
    /// <summary>Each image's scores and what <c>--save-maps</c> stores of them, from the model's output <c>[B,…]</c>.</summary>
    public abstract IReadOnlyList<Prediction> Predict(Tensor output);

    /// <summary>The targets (class indices) of one image.</summary>
    /// <exception cref="ArgumentException">Its targets do not resolve (a bad CSV row); the image fails alone.</exception>
    public abstract IReadOnlyList<long> TargetsFor(string imagePath, Prediction prediction);

    /// <summary>
    /// The requests that explain every item's targets with <paramref name="method"/>; each comes with, per item, the
    /// target it explains for that item (an item is looked up by its target).
    /// </summary>
    public abstract IEnumerable<(ExplainRequest Request, long[] Covers)> Requests(string method, ExplainOptions options, IReadOnlyList<IReadOnlyList<long>> targets);

    /// <summary>The target's part of file and key names.</summary>
    public abstract string Name(long target);

    /// <summary>Checks the model's output shape (without the batch dimension) once the probe knows it.</summary>
    public virtual void Check(IReadOnlyList<long> shape)
    {
    }

    public virtual void Dispose()
    {
    }

    /// <summary>Class targets of a classifier: the logit (default) or the softmax probability (<c>--score probability</c>).</summary>
    public sealed class Classes(TargetPlan plan, ClassLabels labels, bool probability) : TargetMode
    {
        public override void Check(IReadOnlyList<long> shape) => plan.CheckClassCount((int)shape[0]);

        public override IReadOnlyList<Prediction> Predict(Tensor output)
        {
            using var scope = NewDisposeScope();
            plan.CheckClassCount((int)output.shape[1]);
            var rows = output.detach().cpu().to(ScalarType.Float32);
            return [.. Enumerable.Range(0, (int)output.shape[0]).Select(i =>
            {
                var logits = rows[i].data<float>().ToArray();
                return new Prediction(logits, [("logits", logits)]);
            })];
        }

        public override IReadOnlyList<long> TargetsFor(string imagePath, Prediction prediction) => plan.For(imagePath, prediction.Scores);

        /// <summary>One request per target slot: slot <c>j</c> asks for every item's <c>j</c>-th target (an item with fewer repeats its last).</summary>
        public override IEnumerable<(ExplainRequest, long[])> Requests(string method, ExplainOptions options, IReadOnlyList<IReadOnlyList<long>> targets)
        {
            var slots = targets.Max(t => t.Count);
            for (var slot = 0; slot < slots; slot++)
            {
                long[] classes = [.. targets.Select(t => t[Math.Min(slot, t.Count - 1)])];
                var request = probability
                    ? new ExplainRequest(method) { Layer = options.Layer, Target = new ClassProbabilityTarget(classes), Options = options.OptionsOf(method) }
                    : new ExplainRequest(method) { Layer = options.Layer, Targets = classes, Options = options.OptionsOf(method) };
                yield return (request, classes);
            }
        }

        public override string Name(long target) => labels.Slug(target);
    }

    /// <summary>
    /// Classes of a segmentation model over a mask (<c>--mask</c>): an image's score for class <c>c</c> is the mean of
    /// <c>output[c]</c> over the mask, from which the targets are picked as for a classifier; each target is explained
    /// as <see cref="SegmentationTarget"/> (class <c>c</c> summed over the mask).
    /// </summary>
    public sealed class Mask(TargetPlan plan, ClassLabels labels, MaskImage mask) : TargetMode
    {
        private Tensor? _weights;

        /// <summary>The mask at the output's size <c>[H,W]</c>, 0/1 (set by <see cref="Check"/>).</summary>
        private Tensor Weights => _weights ?? throw new InvalidOperationException("The mask is resized once the output's size is known.");

        public override void Check(IReadOnlyList<long> shape)
        {
            plan.CheckClassCount((int)shape[0]);
            _weights?.Dispose();
            _weights = mask.Resize((int)shape[1], (int)shape[2]);
        }

        public override IReadOnlyList<Prediction> Predict(Tensor output)
        {
            using var scope = NewDisposeScope();
            plan.CheckClassCount((int)output.shape[1]);
            var weights = Weights.to(output.dtype, output.device);
            var means = ((output.detach() * weights).sum([2, 3]) / weights.sum()).cpu().to(ScalarType.Float32);
            return [.. Enumerable.Range(0, (int)output.shape[0]).Select(i =>
            {
                var scores = means[i].data<float>().ToArray();
                return new Prediction(scores, [("mask-scores", scores)]);
            })];
        }

        public override IReadOnlyList<long> TargetsFor(string imagePath, Prediction prediction) => plan.For(imagePath, prediction.Scores);

        /// <summary>One request per class any item asks for; it explains that class for every item.</summary>
        public override IEnumerable<(ExplainRequest, long[])> Requests(string method, ExplainOptions options, IReadOnlyList<IReadOnlyList<long>> targets)
        {
            foreach (var @class in targets.SelectMany(t => t).Distinct().Order())
            {
                var request = new ExplainRequest(method) { Layer = options.Layer, Target = new SegmentationTarget(@class, Weights), Options = options.OptionsOf(method) };
                yield return (request, [.. targets.Select(_ => @class)]);
            }
        }

        public override string Name(long target) => labels.Slug(target);

        public override void Dispose() => _weights?.Dispose();
    }

    /// <summary>
    /// An embedding's cosine similarity to a reference image's embedding (<c>--similar-to</c>), explained as
    /// <see cref="EmbeddingSimilarityTarget"/>; each image has the one target, named <c>similar-to-&lt;reference&gt;</c>.
    /// </summary>
    public sealed class Similarity(string referencePath, Tensor reference) : TargetMode
    {
        private readonly string _name = "similar-to-" + Slug(Path.GetFileNameWithoutExtension(referencePath));

        public override IReadOnlyList<Prediction> Predict(Tensor output)
        {
            using var scope = NewDisposeScope();
            var embeddings = output.detach().cpu().to(ScalarType.Float32);
            var similarity = nn.functional.cosine_similarity(embeddings, reference.to(ScalarType.Float32).cpu().unsqueeze(0).expand_as(embeddings), 1);
            return [.. Enumerable.Range(0, (int)output.shape[0]).Select(i =>
            {
                float[] value = [similarity[i].item<float>()];
                return new Prediction(value, [("embedding", embeddings[i].data<float>().ToArray()), ("similarity", value)]);
            })];
        }

        public override IReadOnlyList<long> TargetsFor(string imagePath, Prediction prediction) => [0];

        public override IEnumerable<(ExplainRequest, long[])> Requests(string method, ExplainOptions options, IReadOnlyList<IReadOnlyList<long>> targets)
        {
            var request = new ExplainRequest(method) { Layer = options.Layer, Target = new EmbeddingSimilarityTarget(reference), Options = options.OptionsOf(method) };
            yield return (request, new long[targets.Count]);
        }

        public override string Name(long target) => _name;

        public override void Dispose() => reference.Dispose();

        /// <summary>
        /// The reference embedding <c>[D]</c>: the model's output for <paramref name="path"/>, preprocessed like the
        /// inputs. Refuses a file that cannot be read and an embedding of zero (whose similarity to anything is 0).
        /// </summary>
        public static Tensor Embed(LoadedModel model, string path, ImageLimits limits)
        {
            using var scope = NewDisposeScope();
            using var bitmap = ReadImage("--similar-to", path, limits);
            var batch = ImageTensors.ToBatch([bitmap], model.Input);
            var embedding = ModelProbe.Forward(model, batch).Output[0].cpu().to(ScalarType.Float32);
            if (embedding.norm().item<float>() == 0)
            {
                throw new SaliencyException($"--similar-to {path}: {model.Name} embeds it as zero, so nothing can be similar to it; choose another reference image.");
            }

            return embedding.MoveToOuterDisposeScope();
        }

        /// <summary>A file-name-safe form of the reference's stem: lower case, letters and digits, other runs as one <c>-</c>.</summary>
        internal static string Slug(string stem) => ClassLabels.ToSlug(stem) is { Length: > 0 } slug ? slug : "reference";
    }

    /// <summary>Reads an image given to an option; a file that cannot be used is one line naming the option.</summary>
    internal static SKBitmap ReadImage(string option, string path, ImageLimits limits)
    {
        try
        {
            return ImageFile.Load(path, limits);
        }
        catch (ImageException e)
        {
            throw new SaliencyException($"{option} {e.Message}", e);
        }
    }
}

/// <summary>One image's scores (what targets are picked from) and the named vectors <c>--save-maps</c> stores.</summary>
/// <param name="Scores">The class scores (logits, or means over the mask), or the similarity.</param>
/// <param name="Saved">The vectors stored under their keys.</param>
internal sealed record Prediction(float[] Scores, IReadOnlyList<(string Key, float[] Values)> Saved);

/// <summary>
/// A <c>--mask</c> image: a pixel is inside when any of its channels is above 0. Resized to a model's output by nearest
/// neighbour.
/// </summary>
internal sealed class MaskImage
{
    private readonly bool[] _inside;

    private MaskImage(string path, bool[] inside, int width, int height)
    {
        Path = path;
        _inside = inside;
        Width = width;
        Height = height;
    }

    /// <summary>The file.</summary>
    public string Path { get; }

    /// <summary>Its width in pixels.</summary>
    public int Width { get; }

    /// <summary>Its height in pixels.</summary>
    public int Height { get; }

    /// <summary>Reads the mask; refuses a file that cannot be read and a mask with no pixel inside.</summary>
    public static MaskImage Read(string path, ImageLimits limits)
    {
        using var bitmap = TargetMode.ReadImage("--mask", path, limits);
        var rgba = Bitmaps.ToRgba(bitmap);
        var inside = new bool[bitmap.Width * bitmap.Height];
        for (var i = 0; i < inside.Length; i++)
        {
            inside[i] = rgba[4 * i] > 0 || rgba[(4 * i) + 1] > 0 || rgba[(4 * i) + 2] > 0;
        }

        return inside.Contains(true)
            ? new MaskImage(path, inside, bitmap.Width, bitmap.Height)
            : throw new SaliencyException($"--mask {path} is empty (every pixel is black): mark the region to explain with pixels above 0.");
    }

    /// <summary>
    /// The mask at <paramref name="width"/>×<paramref name="height"/>, <c>[H,W]</c> float32 of 0/1: output pixel
    /// <c>(i,j)</c> takes the mask pixel under its centre (nearest neighbour).
    /// </summary>
    /// <exception cref="SaliencyException">No pixel is inside at that size (the region falls between the samples).</exception>
    public Tensor Resize(int height, int width)
    {
        var values = new float[height * width];
        for (var i = 0; i < height; i++)
        {
            var row = Math.Min(Height - 1, (int)(((i + 0.5) * Height) / height));
            for (var j = 0; j < width; j++)
            {
                var column = Math.Min(Width - 1, (int)(((j + 0.5) * Width) / width));
                values[(i * width) + j] = _inside[(row * Width) + column] ? 1f : 0f;
            }
        }

        return values.Contains(1f)
            ? tensor(values, [height, width])
            : throw new SaliencyException(string.Create(CultureInfo.InvariantCulture,
                $"--mask {Path} covers no pixel of the model's {width}×{height} output once resized from {Width}×{Height} (nearest neighbour): draw a larger region."));
    }
}
