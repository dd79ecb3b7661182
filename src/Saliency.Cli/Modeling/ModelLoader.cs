using System.Globalization;
using System.Reflection;
using System.Runtime.Loader;
using Saliency.Cli.Commands;
using Saliency.Imaging;
using Saliency.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Saliency.Cli.Modeling;

/// <summary>
/// Turns <c>--model</c> and its companion options into a <see cref="LoadedModel"/>: a built-in model by name, or a
/// user model given as <c>path/to/Assembly.dll:Namespace.Type</c>, loaded into the default load context so that it
/// shares Saliency's and TorchSharp's types.
/// </summary>
internal static class ModelLoader
{
    private const string UserModelForm = "ASSEMBLY.dll:Namespace.Type";

    private static readonly HashSet<string> s_probedDirectories = new(StringComparer.Ordinal);

    /// <summary>Loads the model, its weights and its input spec, in eval mode, on <paramref name="device"/>.</summary>
    /// <param name="settings">The model options.</param>
    /// <param name="device">Where the model runs.</param>
    /// <param name="requireWeights">Whether a built-in model without bundled weights needs <c>--weights</c> (not for listing layers).</param>
    /// <exception cref="SaliencyException">The model, its type or its weights cannot be used; the message says why.</exception>
    public static LoadedModel Load(ModelSettings settings, Device device, bool requireWeights = true)
    {
        ArgumentNullException.ThrowIfNull(settings);
        TorchRuntime.EnsureInitialized();
        var builtIn = BuiltInModels.Find(settings.Model);
        var loaded = builtIn is not null ? LoadBuiltIn(builtIn, settings, requireWeights) : LoadUserModel(settings);
        try
        {
            CheckFinite(loaded, settings.Weights);
        }
        catch
        {
            loaded.Dispose();
            throw;
        }

        loaded.Explainable.Module.eval();
        loaded.Explainable.Module.to(device);
        return loaded;
    }

    /// <summary>Weights with NaN or infinite values make every map NaN: refuse them here, naming the first such key.</summary>
    private static void CheckFinite(LoadedModel model, string? weights)
    {
        using var scope = NewDisposeScope();
        foreach (var (name, parameter) in model.Explainable.Module.named_parameters().Select(p => (p.name, (Tensor)p.parameter)).Concat(model.Explainable.Module.named_buffers()))
        {
            if (parameter.is_floating_point() && parameter.numel() > 0)
            {
                var bad = parameter.isfinite().logical_not().sum().item<long>();
                if (bad > 0)
                {
                    var source = weights is null ? $"The weights of {model.Name}" : $"Weights file {weights}";
                    throw new SaliencyException(string.Create(CultureInfo.InvariantCulture, $"{source}: key '{name}' holds {bad} NaN or infinite value(s); the model cannot be explained with them."));
                }
            }
        }
    }

    private static LoadedModel LoadBuiltIn(ModelDefinition definition, ModelSettings settings, bool requireWeights)
    {
        var model = definition.Create();
        try
        {
            if (settings.Weights is not null)
            {
                ModelWeights.Load(model.Module, settings.Weights);
            }
            else if (definition.OpenWeights is not null)
            {
                using var weights = definition.OpenWeights();
                ModelWeights.Load(model.Module, weights, $"(bundled weights of {definition.Name})");
            }
            else if (requireWeights)
            {
                throw new SaliencyException($"Model '{definition.Name}' has no bundled weights: pass --weights FILE.safetensors.");
            }

            return new LoadedModel(definition.Name, model, InputSpecOptions.Resolve(settings, definition.Input), Labels(settings, definition.Labels));
        }
        catch
        {
            model.Module.Dispose();
            throw;
        }
    }

    private static LoadedModel LoadUserModel(ModelSettings settings)
    {
        var separator = settings.Model.LastIndexOf(':');
        if (separator <= 0 || separator == settings.Model.Length - 1 || !settings.Model[..separator].EndsWith(".dll", StringComparison.OrdinalIgnoreCase))
        {
            var hint = NameSuggestions.DidYouMean(settings.Model, BuiltInModels.All.Select(m => m.Name));
            throw new SaliencyException(
                $"Unknown model '{settings.Model}'.{hint} Built-in models: {string.Join(", ", BuiltInModels.All.Select(m => m.Name))}; a user model is given as {UserModelForm}.");
        }

        var assemblyPath = Path.GetFullPath(settings.Model[..separator]);
        var typeName = settings.Model[(separator + 1)..];
        var type = FindType(LoadAssembly(assemblyPath), typeName, assemblyPath);
        var module = Instantiate(type);
        try
        {
            if (settings.Weights is not null)
            {
                ModelWeights.Load(module.Module, settings.Weights);
            }

            var spec = InputSpecOptions.Resolve(settings, null);
            return new LoadedModel(type.FullName ?? typeName, module, spec, Labels(settings, ClassLabels.None));
        }
        catch
        {
            module.Module.Dispose();
            throw;
        }
    }

    private static Assembly LoadAssembly(string path)
    {
        if (!File.Exists(path))
        {
            throw new SaliencyException($"Model assembly {path} does not exist.");
        }

        ProbeForDependencies(Path.GetDirectoryName(path)!);
        try
        {
            return AssemblyLoadContext.Default.LoadFromAssemblyPath(path);
        }
        catch (BadImageFormatException e)
        {
            throw new SaliencyException($"Model assembly {path} is not a .NET assembly ({e.Message}).", e);
        }
    }

    /// <summary>Lets the default load context find a user model's own dependencies next to it.</summary>
    private static void ProbeForDependencies(string directory)
    {
        lock (s_probedDirectories)
        {
            if (!s_probedDirectories.Add(directory))
            {
                return;
            }
        }

        AssemblyLoadContext.Default.Resolving += (context, name) =>
        {
            var candidate = Path.Combine(directory, name.Name + ".dll");
            return File.Exists(candidate) ? context.LoadFromAssemblyPath(candidate) : null;
        };
    }

    private static Type FindType(Assembly assembly, string typeName, string path)
    {
        Type[] types;
        try
        {
            types = assembly.GetTypes();
        }
        catch (ReflectionTypeLoadException e)
        {
            throw new SaliencyException($"Types of {path} cannot be loaded: {e.LoaderExceptions.FirstOrDefault(x => x is not null)?.Message}", e);
        }

        var type = types.FirstOrDefault(t => t.FullName == typeName);
        if (type is null)
        {
            var candidates = types.Where(t => typeof(IExplainable).IsAssignableFrom(t) && !t.IsAbstract).Select(t => t.FullName!).ToList();
            var hint = NameSuggestions.DidYouMean(typeName, candidates);
            var list = candidates.Count == 0 ? "none" : string.Join(", ", candidates);
            throw new SaliencyException($"{Path.GetFileName(path)} has no type '{typeName}'.{hint} Explainable types there: {list}.");
        }

        if (!typeof(IExplainable).IsAssignableFrom(type))
        {
            throw new SaliencyException(
                $"Type {type.FullName} does not implement IExplainable: annotate its layers with [ExplainLayer] and make it partial (the Saliency source generator then implements IExplainable).");
        }

        if (type.IsAbstract || type.GetConstructor(Type.EmptyTypes) is null)
        {
            throw new SaliencyException($"Type {type.FullName} needs a public parameterless constructor to be built by the saliency command.");
        }

        return type;
    }

    private static IExplainable Instantiate(Type type)
    {
        try
        {
            return (IExplainable)Activator.CreateInstance(type)!;
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            throw new SaliencyException($"The constructor of {type.FullName} threw {e.InnerException.GetType().Name}: {e.InnerException.Message}", e.InnerException);
        }
    }

    private static ClassLabels Labels(ModelSettings settings, ClassLabels defaults)
    {
        if (settings.Labels is null)
        {
            return defaults;
        }

        if (!File.Exists(settings.Labels))
        {
            throw new SaliencyException($"Labels file {settings.Labels} does not exist.");
        }

        var names = File.ReadAllLines(settings.Labels).Select(l => l.Trim()).Where(l => l.Length > 0).ToList();
        return names.Count > 0 ? new ClassLabels(names) : throw new SaliencyException($"Labels file {settings.Labels} is empty.");
    }

    /// <summary>The input spec from <c>--channels/--size/--mean/--std</c> over a built-in model's spec or the user-model defaults.</summary>
    private static class InputSpecOptions
    {
        public static InputSpec Resolve(ModelSettings settings, InputSpec? defaults)
        {
            var channels = settings.Channels ?? defaults?.Channels ?? 3;
            var (width, height) = settings.Size is null ? (defaults?.Width ?? 224, defaults?.Height ?? 224) : ParseSize(settings.Size);
            var sameChannels = defaults?.Channels == channels;
            var mean = settings.Mean is not null ? ParseList(settings.Mean, "--mean", channels)
                : sameChannels ? defaults!.Mean : channels == 3 ? InputSpec.ImageNet.Mean : [0f];
            var std = settings.Std is not null ? ParseList(settings.Std, "--std", channels)
                : sameChannels ? defaults!.Std : channels == 3 ? InputSpec.ImageNet.Std : [1f];
            return new InputSpec(channels, height, width, mean, std);
        }

        /// <summary>The largest side <c>--size</c> takes: far above any classifier's input, far below what exhausts memory.</summary>
        public const int MaxSide = 4096;

        private static (int Width, int Height) ParseSize(string text)
        {
            var parts = text.Trim().Split('x', 'X', '×');
            if (parts.Length is 1 or 2 && parts.All(p => p.Length > 0 && p.All(char.IsAsciiDigit)))
            {
                var sides = parts.Select(p => long.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : long.MaxValue).ToArray();
                if (sides.Any(v => v is < 1 or > MaxSide))
                {
                    throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"--size '{text}' is out of range: each side must be 1 to {MaxSide} pixels."));
                }

                return ((int)sides[0], (int)sides[^1]);
            }

            throw new ArgumentException($"--size '{text}' is not a size: use N (square) or WxH, e.g. 224 or 320x240.");
        }

        private static float[] ParseList(string text, string option, int channels)
        {
            var values = text.Split(',', StringSplitOptions.TrimEntries).Select(v =>
                float.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var f) ? f : throw new ArgumentException($"{option} '{text}' is not a list of numbers.")).ToArray();
            if (values.Any(v => !float.IsFinite(v)))
            {
                throw new ArgumentException($"{option} '{text}' must hold finite numbers (no NaN or infinity).");
            }

            if (option == "--std" && values.Any(v => v <= 0))
            {
                throw new ArgumentException($"--std '{text}' must be positive: pixels are divided by it.");
            }
            if (values.Length == 1 && channels > 1)
            {
                values = [.. Enumerable.Repeat(values[0], channels)];
            }

            return values.Length == channels ? values : throw new ArgumentException($"{option} needs {channels} value(s) (one per channel); got {values.Length}.");
        }
    }
}
