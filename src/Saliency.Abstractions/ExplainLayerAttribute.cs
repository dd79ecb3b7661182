namespace Saliency;

/// <summary>
/// Marks a submodule of a TorchSharp model as a layer whose output can be explained (its activation
/// and the gradient of a class score with respect to it are captured there).
/// </summary>
/// <remarks>
/// The Saliency source generator turns every annotated member of a <c>partial</c> model class into
/// compile-time layer-selection and hook code, and makes the class implement <see cref="IExplainable"/>.
/// The member must be a <c>Module&lt;Tensor, Tensor&gt;</c> and must be invoked with <c>call(...)</c>
/// (TorchSharp runs forward hooks only through <c>call</c>).
/// <code>
/// public sealed partial class SmallNet : Module&lt;Tensor, Tensor&gt;
/// {
///     [ExplainLayer(IsDefault = true)] private readonly Sequential features;
///     [ClassifierHead] private readonly Linear fc;
/// }
/// </code>
/// </remarks>
[AttributeUsage(AttributeTargets.Field | AttributeTargets.Property, AllowMultiple = false, Inherited = false)]
public sealed class ExplainLayerAttribute : Attribute
{
    /// <summary>Marks a member as explainable under the member's own name (its name in <c>named_modules()</c>).</summary>
    public ExplainLayerAttribute()
    {
    }

    /// <summary>Marks a member as explainable under <paramref name="name"/>.</summary>
    /// <param name="name">The layer name users pass to select this layer.</param>
    public ExplainLayerAttribute(string name)
    {
        Name = name;
    }

    /// <summary>The layer name; <see langword="null"/> means the member's name.</summary>
    public string? Name { get; }

    /// <summary>Whether this is the layer explained when a request names none. At most one layer per model.</summary>
    public bool IsDefault { get; set; }
}
