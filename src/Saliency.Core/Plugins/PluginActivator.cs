using System.Reflection;
using System.Text.RegularExpressions;
using McMaster.NETCore.Plugins;
using TorchSharp;

namespace Saliency;

/// <summary>
/// Turns a plugin assembly into method instances: loads it into its own collectible load context that shares the
/// contract and TorchSharp with the host, finds the public <see cref="ISaliencyMethod"/> classes, constructs them and
/// checks their descriptors. Every failure becomes a <see cref="SaliencyException"/> saying what is wrong with the
/// plugin, and nothing of a failed load stays loaded.
/// </summary>
internal static partial class PluginActivator
{
    private static readonly Type[] s_sharedTypes = [typeof(ISaliencyMethod), typeof(torch)];

    /// <summary>Loads and instantiates the plugin at <paramref name="shadowAssembly"/>.</summary>
    /// <param name="name">The plugin's folder name.</param>
    /// <param name="version">Which load of this plugin this is (1 for the first).</param>
    /// <param name="shadow">The shadow folder, deleted with the plugin.</param>
    /// <param name="shadowAssembly">The assembly inside the shadow folder.</param>
    public static LoadedPlugin Activate(string name, int version, string shadow, string shadowAssembly)
    {
        var loader = PluginLoader.CreateFromAssemblyFile(shadowAssembly, isUnloadable: true, s_sharedTypes, config => config.LoadInMemory = true);
        try
        {
            var methods = Instantiate(MethodTypes(loader.LoadDefaultAssembly()));
            return new LoadedPlugin(name, version, shadow, loader, methods);
        }
        catch
        {
            loader.Dispose();
            PluginSecurity.TryDelete(shadow);
            throw;
        }
    }

    /// <summary>
    /// Checks what the host relies on in a descriptor: contract version, kebab-case id (a trailing <c>+</c> or
    /// <c>++</c> allowed, as in <c>grad-cam++</c>), name and description.
    /// </summary>
    public static void Validate(Type type, MethodDescriptor? descriptor)
    {
        if (descriptor is null)
        {
            throw new SaliencyException($"{type.FullName}.Descriptor is null");
        }

        if (descriptor.ContractVersion != SaliencyContract.Version)
        {
            throw new SaliencyException(
                $"{type.FullName} was built against contract version {descriptor.ContractVersion}, but this host speaks version {SaliencyContract.Version}; rebuild the plugin against this Saliency.Abstractions");
        }

        if (string.IsNullOrEmpty(descriptor.Id) || !KebabCase().IsMatch(descriptor.Id))
        {
            throw new SaliencyException($"{type.FullName} has method id '{descriptor.Id}'; ids are kebab-case, like 'grad-cam' (or 'grad-cam++')");
        }

        if (string.IsNullOrWhiteSpace(descriptor.DisplayName) || string.IsNullOrWhiteSpace(descriptor.Description))
        {
            throw new SaliencyException($"method '{descriptor.Id}' ({type.FullName}) needs a display name and a one-line description");
        }
    }

    private static List<Type> MethodTypes(Assembly assembly)
    {
        Type[] types;
        try
        {
            types = assembly.GetTypes();
        }
        catch (ReflectionTypeLoadException e)
        {
            var first = e.LoaderExceptions.FirstOrDefault(x => x is not null)?.Message ?? e.Message;
            throw new SaliencyException($"its types cannot be loaded ({first}); was it built against another version of Saliency.Abstractions or TorchSharp?", e);
        }

        var methodTypes = types.Where(t => t is { IsClass: true, IsAbstract: false, IsPublic: true } && typeof(ISaliencyMethod).IsAssignableFrom(t)).ToList();
        if (methodTypes.Count == 0)
        {
            var found = string.Join(", ", types.Where(t => t.IsPublic).Select(t => t.Name).Take(8));
            throw new SaliencyException($"it has no public class implementing ISaliencyMethod (public types found: {(found.Length == 0 ? "none" : found)})");
        }

        return methodTypes;
    }

    private static List<ISaliencyMethod> Instantiate(List<Type> methodTypes)
    {
        var methods = new List<ISaliencyMethod>();
        foreach (var type in methodTypes)
        {
            if (type.GetConstructor(Type.EmptyTypes) is null)
            {
                throw new SaliencyException($"{type.FullName} has no public parameterless constructor");
            }

            ISaliencyMethod method;
            try
            {
                method = (ISaliencyMethod)Activator.CreateInstance(type)!;
            }
            catch (TargetInvocationException e) when (e.InnerException is not null)
            {
                throw new SaliencyException($"the constructor of {type.FullName} threw {e.InnerException.GetType().Name}: {e.InnerException.Message}", e.InnerException);
            }

            Validate(type, method.Descriptor);
            methods.Add(method);
        }

        return methods;
    }

    [GeneratedRegex(@"^[a-z0-9]+(-[a-z0-9]+)*\+{0,2}$")]
    private static partial Regex KebabCase();
}

/// <summary>One loaded version of a plugin: its load context, its methods and its shadow folder.</summary>
internal sealed class LoadedPlugin(string name, int version, string shadow, PluginLoader loader, IReadOnlyList<ISaliencyMethod> methods) : IDisposable
{
    public string Name { get; } = name;

    public int Version { get; } = version;

    public PluginLoader Loader { get; } = loader;

    public IReadOnlyList<ISaliencyMethod> Methods { get; } = methods;

    /// <summary>Unloads the load context (once nothing references it) and deletes the shadow folder.</summary>
    public void Dispose()
    {
        Loader.Dispose();
        PluginSecurity.TryDelete(shadow);
    }
}
