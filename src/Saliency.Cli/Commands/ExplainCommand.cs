using System.ComponentModel;
using System.Diagnostics;
using System.Runtime.InteropServices;
using Saliency.Cli.Datasets;
using Saliency.Cli.Explaining;
using Saliency.Cli.Infrastructure;
using Saliency.Cli.Modeling;
using Saliency.Imaging;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Saliency.Cli.Commands;

/// <summary><c>saliency explain</c>: heat-map overlays for image files or folders, batched, one failed image at a time.</summary>
internal sealed class ExplainCommand(CliConsole console) : Command<ExplainCommand.Settings>
{
    public sealed class Settings : OverlaySettings
    {
        [CommandArgument(0, "<IMAGES>")]
        [Description("Image files (PNG, JPEG) or folders of them.")]
        public string[] Images { get; set; } = [];

        [CommandOption("-M|--method <METHOD>")]
        [Description("Method id(s), repeated or comma-separated (see 'saliency methods').")]
        [DefaultValue(new[] { "grad-cam" })]
        public string[] Methods { get; set; } = ["grad-cam"];

        [CommandOption("-O|--option <KEY=VALUE>")]
        [Description("A method option, repeated: it goes to every chosen method that takes it (see 'saliency methods'), e.g. eigen-smooth=true, aug-smooth=true, batch-size=64.")]
        public string[] Options { get; set; } = [];

        [CommandOption("-t|--target <CLASS>")]
        [Description("Class index or label to explain, repeated or comma-separated. Default: the predicted class.")]
        public string[] Targets { get; set; } = [];

        [CommandOption("--targets-from <CSV>")]
        [Description("Per-image targets: rows of image,target[[,target…]] (image = file name).")]
        public string? TargetsFrom { get; set; }

        [CommandOption("-k|--top-k <N>")]
        [Description("Explain the N highest-scoring classes of each image.")]
        public int? TopK { get; set; }

        [CommandOption("--score <SCORE>")]
        [Description("What is explained for each target class: logit (default; the class's own evidence) or probability (its softmax probability: evidence for the class against the others).")]
        [DefaultValue("logit")]
        public string Score { get; set; } = "logit";

        [CommandOption("--mask <MASK>")]
        [Description("For a segmentation model (output [[B,classes,H,W]]): a PNG or JPEG whose pixels above 0 mark the region to explain; each target class is explained summed over it, and targets are picked by the class scores averaged over it.")]
        public string? Mask { get; set; }

        [CommandOption("--similar-to <IMAGE>")]
        [Description("For an embedding model (output [[B,D]]): explain what makes each image's embedding similar (cosine) to this image's.")]
        public string? SimilarTo { get; set; }

        [CommandOption("-l|--layer <LAYER>")]
        [Description("The layer to explain (see 'saliency layers'). Default: the model's default layer.")]
        public string? Layer { get; set; }

        [CommandOption("-b|--batch-size <N>")]
        [Description("Images per forward pass.")]
        [DefaultValue(8)]
        public int BatchSize { get; set; }

        [CommandOption("-o|--out <DIR>")]
        [Description("Where the PNGs go: <image-stem>.<method>.<target>.png (<target>: the class label, or similar-to-<reference-stem>).")]
        [DefaultValue("out/explain")]
        public string Out { get; set; } = "out/explain";

        [CommandOption("--save-maps")]
        [Description("Also write <image-stem>.maps.safetensors: <method>/<target>/map [[H,W]], <method>/<target>/raw, and logits (with --mask: mask-scores; with --similar-to: embedding and similarity).")]
        public bool SaveMaps { get; set; }

        [CommandOption("-r|--recursive")]
        [Description("Also explain the images in subfolders of the folders given; the outputs mirror the folder tree under --out.")]
        public bool Recursive { get; set; }

        [CommandOption("--resume")]
        [Description("Skip images that --out/manifest.jsonl lists as explained with all their outputs intact (same SHA-256); redo the rest.")]
        public bool Resume { get; set; }

        [CommandOption("--shard <K/N>")]
        [Description("Explain only shard K of N (K from 0) of the inputs sorted by name, e.g. 0/4; 'auto' reads a Kubernetes Indexed Job's or a Slurm array's index and count.")]
        public string? Shard { get; set; }

        [CommandOption("--max-pixels <N>")]
        [Description("Refuse images with more pixels than this (read from the header, before decoding); sides are limited to 8192.")]
        [DefaultValue(40_000_000L)]
        public long MaxPixels { get; set; }

        public override ValidationResult Validate()
        {
            if (BatchSize < 1)
            {
                return ValidationResult.Error($"--batch-size must be at least 1; got {BatchSize}.");
            }

            if (Score.Trim().ToLowerInvariant() is not ("logit" or "probability"))
            {
                return ValidationResult.Error($"--score must be logit or probability; got '{Score}'.");
            }

            return TargetConflict() is { } conflict ? ValidationResult.Error(conflict)
                : MaxPixels < 1 ? ValidationResult.Error("--max-pixels must be positive.") : base.Validate();
        }

        /// <summary>Whether the probability score was asked for.</summary>
        public bool Probability => Score.Trim().Equals("probability", StringComparison.OrdinalIgnoreCase);

        /// <summary>What is wrong with the combination of target options, or <see langword="null"/>.</summary>
        private string? TargetConflict()
        {
            if (Mask is not null && SimilarTo is not null)
            {
                return "Give --mask or --similar-to, not both: --mask explains classes of a segmentation model over a region, --similar-to an embedding's similarity to a reference image.";
            }

            if (Mask is not null && Probability)
            {
                return "--score probability does not apply with --mask: the mask target sums the class's logits over the mask (pytorch-grad-cam's SemanticSegmentationTarget); drop --score.";
            }

            if (SimilarTo is null)
            {
                return null;
            }

            var option = Targets.Length > 0 ? "--target" : TargetsFrom is not null ? "--targets-from" : TopK is not null ? "--top-k" : Probability ? "--score probability" : null;
            return option is null ? null : $"{option} does not apply with --similar-to: an embedding has no classes; each image is explained by its similarity to {SimilarTo}.";
        }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var interrupt = StopOn(PosixSignal.SIGINT, cancel);
        using var terminate = StopOn(PosixSignal.SIGTERM, cancel);

        var colormap = Colormap.Parse(settings.Colormap);
        var shard = Shard.Parse(settings.Shard);
        var inputs = ImageInputs.Collect(settings.Images, settings.Recursive);
        using var host = HostFactory.Create(settings.Device, settings.KernelCheck, console);
        var methods = MethodSelection.Resolve(host, settings.Methods);
        var methodOptions = MethodOptions.Resolve(host, methods, settings.Options);
        using var model = ModelLoader.Load(settings, host.Device);
        var layer = settings.Layer ?? model.Explainable.DefaultLayer;
        _ = model.Explainable.GetLayer(layer);
        var limits = ImageLimits.Default with { MaxPixels = settings.MaxPixels };
        var mask = settings.Mask is null ? null : MaskImage.Read(settings.Mask, limits);
        var plan = TargetPlan.Create(OptionValues.Split(settings.Targets), settings.Targets.Length > 0, settings.TargetsFrom, settings.TopK, model.Labels);
        var kind = mask is not null ? ModelOutputKind.Segmentation : settings.SimilarTo is not null ? ModelOutputKind.Embedding : ModelOutputKind.Classes;
        var shape = ModelProbe.Run(model, layer, [.. host.Methods.Where(m => methods.Contains(m.Id))], kind);
        using TargetMode targets = kind switch
        {
            ModelOutputKind.Segmentation => new TargetMode.Mask(plan, model.Labels, mask!),
            ModelOutputKind.Embedding => new TargetMode.Similarity(settings.SimilarTo!, TargetMode.Similarity.Embed(model, settings.SimilarTo!, limits)),
            _ => new TargetMode.Classes(plan, model.Labels, settings.Probability),
        };
        targets.Check(shape);
        OutputFolder.Create("--out", settings.Out, settings.Out);
        var explainer = new BatchExplainer(host, model, new ExplainOptions(methods, layer, targets, settings.Out, colormap, settings.Alpha, settings.SaveMaps, limits, methodOptions));

        var clashes = ImageInputs.Clashes(inputs);
        var mine = Owned(inputs, shard);
        using var manifest = RunManifest.Open(settings.Out, shard.ManifestName, settings.Resume);
        if (settings.Resume)
        {
            StaleTemporaries.Delete(settings.Out, mine.Select(i => inputs[i].OutputStem));
        }

        var outcomes = ProgressDisplay.Run(console, "explaining", mine.Count, report =>
        {
            var done = new List<ImageOutcome>();
            void Record(ImageOutcome outcome)
            {
                if (outcome.Error is not null)
                {
                    console.Fail(outcome.Error);
                }

                manifest.Record(outcome);
                done.Add(outcome);
            }

            var pending = new List<ImageInput>();
            foreach (var position in mine)
            {
                var input = inputs[position];
                if (clashes.TryGetValue(position, out var clash))
                {
                    Record(clash);
                }
                else if (settings.Resume && manifest.Complete(input.Path) is { } outputs)
                {
                    done.Add(new ImageOutcome(input.Path, ImageStatus.Skipped, outputs, null));
                }
                else
                {
                    pending.Add(input);
                }
            }

            foreach (var batch in pending.Chunk(settings.BatchSize))
            {
                if (cancel.IsCancellationRequested)
                {
                    break;
                }

                foreach (var outcome in explainer.Run(batch, cancel.Token))
                {
                    Record(outcome);
                }

                report(done.Count, Path.GetFileName(batch[^1].Path));
            }

            return done;
        });

        foreach (var warning in explainer.Warnings)
        {
            console.Warn(warning);
        }

        if (cancel.IsCancellationRequested)
        {
            console.Error.WriteLine($"cancelled: stopped after {outcomes.Count} of {mine.Count} image(s), each written whole or not at all; rerun with --resume to finish.");
        }

        console.WriteLine(RunSummary.Format(outcomes, mine.Count, methods, layer, settings.Out, clock.Elapsed, shard));
        return cancel.IsCancellationRequested ? ExitCodes.Cancelled
            : outcomes.Any(o => o.Status == ImageStatus.Failed) ? ExitCodes.SomeFailed
            : ExitCodes.Success;
    }

    /// <summary>The positions of the inputs of <paramref name="shard"/>, in their given order; the partition is over the inputs sorted by output name.</summary>
    private static List<int> Owned(IReadOnlyList<ImageInput> inputs, Shard shard)
    {
        if (shard.Count == 1)
        {
            return [.. Enumerable.Range(0, inputs.Count)];
        }

        var sorted = inputs.Select((input, position) => (input, position))
            .OrderBy(x => x.input.OutputStem, StringComparer.Ordinal).ThenBy(x => x.input.Path, StringComparer.Ordinal).ThenBy(x => x.position)
            .Select(x => x.position).ToList();
        var owned = new HashSet<int>(sorted.Where((_, rank) => shard.Owns(rank)));
        return [.. Enumerable.Range(0, inputs.Count).Where(owned.Contains)];
    }

    /// <summary>
    /// Stops the run at <paramref name="signal"/> (Ctrl+C, or a scheduler's SIGTERM): the image being written is
    /// finished and the summary printed; a second signal ends the process at once.
    /// </summary>
    private static PosixSignalRegistration StopOn(PosixSignal signal, CancellationTokenSource cancel) =>
        PosixSignalRegistration.Create(signal, context =>
        {
            if (!cancel.IsCancellationRequested)
            {
                context.Cancel = true;
                cancel.Cancel();
            }
        });
}
