namespace Saliency;

/// <summary>
/// Marks the <c>Linear</c> classifier that follows global average pooling of the explained layer.
/// Class Activation Mapping (CAM) weights the layer's channels with this head's rows.
/// </summary>
[AttributeUsage(AttributeTargets.Field | AttributeTargets.Property, AllowMultiple = false, Inherited = false)]
public sealed class ClassifierHeadAttribute : Attribute
{
}
