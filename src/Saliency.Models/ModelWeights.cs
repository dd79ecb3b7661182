using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace Saliency.Models;

/// <summary>
/// Loads <c>.safetensors</c> weights into a model after checking every key and shape against the model's own
/// <c>state_dict()</c>, so that a mismatched file is refused with a message naming the key and both shapes, and the
/// model is never left half-loaded.
/// </summary>
public static class ModelWeights
{
    /// <summary>Loads weights from a file.</summary>
    /// <param name="model">The model.</param>
    /// <param name="path">A <c>.safetensors</c> file.</param>
    /// <exception cref="WeightsException">The file is missing, not safetensors, or does not fit the model.</exception>
    public static void Load(nn.Module model, string path)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path))
        {
            throw new WeightsException($"Weights file {path} does not exist.");
        }

        using var stream = File.OpenRead(path);
        Load(model, stream, path);
    }

    /// <summary>Loads weights from a stream.</summary>
    /// <param name="model">The model.</param>
    /// <param name="stream">The safetensors bytes.</param>
    /// <param name="source">Where they come from, for messages.</param>
    /// <exception cref="WeightsException">The bytes are not safetensors, or do not fit the model.</exception>
    public static void Load(nn.Module model, Stream stream, string source)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(stream);
        var loaded = Read(stream, source);
        try
        {
            Check(model, loaded, source);
            using var noGrad = no_grad();
            model.load_state_dict(loaded, strict: true);
        }
        finally
        {
            foreach (var tensor in loaded.Values)
            {
                tensor.Dispose();
            }
        }
    }

    /// <summary>Saves the model's <c>state_dict()</c> as safetensors.</summary>
    /// <param name="model">The model.</param>
    /// <param name="path">The file to write; its folder is created.</param>
    public static void Save(nn.Module model, string path)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(path);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        model.save_safetensors(path);
    }

    private static Dictionary<string, Tensor> Read(Stream stream, string source)
    {
        try
        {
            return Safetensors.LoadStateDict(stream, leaveOpen: true);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new WeightsException($"Weights file {source} is not a readable .safetensors file ({e.GetType().Name}: {FirstLine(e.Message)}).", e);
        }
    }

    private static void Check(nn.Module model, Dictionary<string, Tensor> loaded, string source)
    {
        var expected = model.state_dict();
        var name = model.GetType().Name;
        var missing = expected.Keys.Where(k => !loaded.ContainsKey(k)).ToList();
        if (missing.Count > 0)
        {
            var key = missing[0];
            var more = missing.Count > 1 ? $" (and {missing.Count - 1} more: {string.Join(", ", missing.Skip(1).Take(5))}{(missing.Count > 6 ? ", …" : string.Empty)})" : string.Empty;
            throw new WeightsException($"Weights file {source} lacks key '{key}' {Shape(expected[key])}{more}, which {name} needs.");
        }

        var unexpected = loaded.Keys.Where(k => !expected.ContainsKey(k)).ToList();
        if (unexpected.Count > 0)
        {
            throw new WeightsException($"Weights file {source} has key '{unexpected[0]}' {Shape(loaded[unexpected[0]])}, which {name} does not have{(unexpected.Count > 1 ? $" (and {unexpected.Count - 1} more)" : string.Empty)}: is it the weights of another model?");
        }

        foreach (var (key, tensor) in expected)
        {
            if (!tensor.shape.SequenceEqual(loaded[key].shape))
            {
                throw new WeightsException($"Weights file {source}: key '{key}' has shape {Shape(loaded[key])}, but {name} expects {Shape(tensor)}.");
            }
        }
    }

    private static string Shape(Tensor tensor) => $"[{string.Join(",", tensor.shape)}]";

    private static string FirstLine(string text) => text.Split('\n')[0].Trim();
}

/// <summary>A weights file that cannot be loaded into the model; the message names the file, the key and the shapes.</summary>
public sealed class WeightsException : SaliencyException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">One line: the file and the problem.</param>
    public WeightsException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with its cause.</summary>
    /// <param name="message">One line: the file and the problem.</param>
    /// <param name="innerException">The cause.</param>
    public WeightsException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
