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
/// A vision transformer layer whose output is tokens <c>[B,N,C]</c> declares its patch grid, and is then explained
/// as the grid <c>[B,C,h,w]</c> (pytorch-grad-cam's <c>reshape_transform</c>; see <see cref="TokenLayout"/>):
/// <code>
/// [ExplainLayer(IsDefault = true, TokenGridHeight = 14, TokenGridWidth = 14)] private readonly Sequential blocks;  // class token first
/// [ExplainLayer("patches", TokenGridHeight = 14, TokenGridWidth = 14, PrefixTokens = 0)] private readonly Sequential stem;  // no class token
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

    /// <summary>
    /// For a layer whose output is tokens <c>[B,N,C]</c>: the rows <c>h</c> of its patch grid (image height / patch size,
    /// e.g. 14 for a 224-pixel ViT-B/16). Set it together with <see cref="TokenGridWidth"/>; 0 (unset) for a layer that
    /// outputs <c>[B,C,h,w]</c> maps. The generated <see cref="IExplainable.GetTokenLayout"/> returns the layout.
    /// </summary>
    public int TokenGridHeight { get; set; }

    /// <summary>
    /// For a layer whose output is tokens <c>[B,N,C]</c>: the columns <c>w</c> of its patch grid. Set it together with
    /// <see cref="TokenGridHeight"/>; 0 (unset) for a layer that outputs <c>[B,C,h,w]</c> maps.
    /// </summary>
    public int TokenGridWidth { get; set; }

    /// <summary>
    /// For a token layer: how many tokens come before the patch tokens and are dropped from the grid (timm's
    /// <c>num_prefix_tokens</c>): 1, the default, for a class token; 0 for none; more for distillation or register tokens.
    /// Used only with <see cref="TokenGridHeight"/> and <see cref="TokenGridWidth"/>.
    /// </summary>
    public int PrefixTokens { get; set; } = 1;
}
